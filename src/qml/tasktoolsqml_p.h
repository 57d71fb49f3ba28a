// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_QML_TASKTOOLSQML_P_H
#define TASKTOOLS_QML_TASKTOOLSQML_P_H

//
//  W A R N I N G: private header of the QML module, not part of the TaskTools API.
//

#include <tasktools/poolstatus.h>

#include <QtQml/qqml.h>

// Registers the core library's types in the QML module `TaskTools` without giving the core
// library a QtQml dependency: qmltyperegistrar reads these declarations (and the core's
// metatypes) at build time and generates the registration the module's plugin runs when the
// engine loads it. Nothing here is instantiated.
struct PoolStatusForeign
{
    Q_GADGET
    QML_FOREIGN(TaskTools::PoolStatus)
    QML_NAMED_ELEMENT(PoolStatus)
    QML_UNCREATABLE("PoolStatus belongs to a pool: use pool.status()")
};

#endif // TASKTOOLS_QML_TASKTOOLSQML_P_H
