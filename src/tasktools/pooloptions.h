// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_POOLOPTIONS_H
#define TASKTOOLS_POOLOPTIONS_H

#include <tasktools/tasktools_global.h>

#include <QtCore/qstring.h>

#include <chrono>

namespace TaskTools {

// How a threaded pool behaves. Copied into the pool at construction; negative numbers make the
// pool's constructor throw std::invalid_argument.
struct PoolOptions
{
    // The pool thread's objectName() and OS thread name; also the status name and the name in
    // error messages.
    QString name;
    // How many tasks may run at once; the rest wait in FIFO order. 0 = unlimited.
    int size = 0;
    // The longest an asynchronous task may run, counted from its start (time spent waiting in
    // the buffer excluded). On expiry its inner future is canceled and its outer future fails
    // with TimeoutError. 0 = no timeout.
    std::chrono::milliseconds timeout{0};
    // The most tasks that may wait in the buffer; past that createTask() throws PoolFullError
    // and the blocking run() waits for room. 0 = unbounded.
    int maxPending = 0;
};

} // namespace TaskTools

#endif // TASKTOOLS_POOLOPTIONS_H
