// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_ERRORS_H
#define TASKTOOLS_ERRORS_H

#include <tasktools/tasktools_global.h>

#include <QtCore/qstring.h>

#include <stdexcept>

namespace TaskTools {

// The base of every error the library throws or carries in a future. what() names the pool
// the error comes from; poolName() gives it alone. Misuse of the API (a call in the wrong
// lifecycle state, a blocking call that would deadlock) throws synchronously; task failures
// (TimeoutError) travel inside futures.
class TASKTOOLS_EXPORT Error : public std::runtime_error
{
public:
    Error(const QString &poolName, const QString &message);
    ~Error() override;

    QString poolName() const { return m_poolName; }
    // The message without the pool's name.
    QString message() const { return m_message; }

private:
    QString m_poolName;
    QString m_message;
};

#define TASKTOOLS_DECLARE_ERROR(Name)                                                             \
    class TASKTOOLS_EXPORT Name : public Error                                                     \
    {                                                                                              \
    public:                                                                                        \
        using Error::Error;                                                                        \
        ~Name() override;                                                                          \
    };

// Submitting to, or stopping, a pool that is not running. The message contains "is not running".
TASKTOOLS_DECLARE_ERROR(NotRunningError)
// start() on a running pool, or addContext() while it runs. The message contains
// "is already running".
TASKTOOLS_DECLARE_ERROR(AlreadyRunningError)
// Carried by the future of a task that ran longer than its pool's timeout.
TASKTOOLS_DECLARE_ERROR(TimeoutError)
// Thrown by a blocking run() whose task was canceled.
TASKTOOLS_DECLARE_ERROR(CanceledError)
// A blocking call (run, start, stop) made from the pool's own thread, which would hang.
TASKTOOLS_DECLARE_ERROR(DeadlockError)
// createTask() while the pool's buffer already holds PoolOptions::maxPending tasks.
TASKTOOLS_DECLARE_ERROR(PoolFullError)

#undef TASKTOOLS_DECLARE_ERROR

} // namespace TaskTools

#endif // TASKTOOLS_ERRORS_H
