// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "errors.h"

namespace TaskTools {

static std::string describe(const QString &poolName, const QString &message)
{
    const QString name = poolName.isEmpty() ? QStringLiteral("(unnamed)") : poolName;
    const QString text = QStringLiteral("pool \"") + name + QStringLiteral("\" ") + message;
    return text.toStdString();
}

Error::Error(const QString &poolName, const QString &message)
    : std::runtime_error(describe(poolName, message)), m_poolName(poolName), m_message(message)
{
}

// Out-of-line destructors anchor each class's vtable and type_info in the library, so that
// catch clauses in applications match the types thrown inside it.
Error::~Error() = default;
NotRunningError::~NotRunningError() = default;
AlreadyRunningError::~AlreadyRunningError() = default;
TimeoutError::~TimeoutError() = default;
CanceledError::~CanceledError() = default;
DeadlockError::~DeadlockError() = default;
PoolFullError::~PoolFullError() = default;

} // namespace TaskTools
