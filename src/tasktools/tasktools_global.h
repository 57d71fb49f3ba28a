// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_GLOBAL_H
#define TASKTOOLS_GLOBAL_H

#include <QtCore/qglobal.h>
#include <tasktools/tasktools_export.h>

#define TASKTOOLS_VERSION_STR "0.1.0"

#endif // TASKTOOLS_GLOBAL_H
