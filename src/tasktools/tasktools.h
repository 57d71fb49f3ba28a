// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_TASKTOOLS_H
#define TASKTOOLS_TASKTOOLS_H

// The umbrella header: everything TaskTools offers.
#include <tasktools/backgroundtask.h>
#include <tasktools/errors.h>
#include <tasktools/periodictask.h>
#include <tasktools/pooloptions.h>
#include <tasktools/poolstatus.h>
#include <tasktools/threadedtaskpool.h>

#endif // TASKTOOLS_TASKTOOLS_H
