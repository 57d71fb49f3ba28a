// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_TESTS_FUTURES_H
#define TASKTOOLS_TESTS_FUTURES_H

#include <QtCore/QFuture>
#include <QtCore/QPromise>
#include <QtCore/QTimer>

#include <memory>

// An asynchronous task body: a future that a timer on the calling thread (the pool thread, when
// called from a task) finishes with `value` after `ms` milliseconds.
inline QFuture<int> delayedValue(int ms, int value)
{
    auto promise = std::make_shared<QPromise<int>>();
    promise->start();
    QTimer::singleShot(ms, [promise, value] {
        promise->addResult(value);
        promise->finish();
    });
    return promise->future();
}

#endif // TASKTOOLS_TESTS_FUTURES_H
