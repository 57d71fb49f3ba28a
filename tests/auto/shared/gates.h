// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_TESTS_GATES_H
#define TASKTOOLS_TESTS_GATES_H

#include <QtCore/QFuture>
#include <QtCore/QMutex>
#include <QtCore/QPromise>

#include <memory>
#include <vector>

// Asynchronous task bodies whose inner futures finish only when the test says so (or when the
// pool cancels them). Declare a Gates after the pool: its destructor opens every gate (and any
// opened later), so a failing test still lets the pool's destructor drain instead of hanging.
class Gates
{
public:
    Gates() = default;
    Gates(const Gates &) = delete;
    Gates &operator=(const Gates &) = delete;
    ~Gates()
    {
        QMutexLocker locker(&m_state->mutex);
        m_state->closed = true;
        m_state->openAll();
    }

    // A task body returning a new gate's future.
    auto task()
    {
        return [state = m_state] {
            auto promise = std::make_shared<QPromise<void>>();
            promise->start();
            QFuture<void> future = promise->future();
            QMutexLocker locker(&state->mutex);
            state->promises.push_back(promise);
            if (state->closed)
                state->openAll();
            return future;
        };
    }
    int count() const
    {
        QMutexLocker locker(&m_state->mutex);
        return int(m_state->promises.size());
    }
    void openAll()
    {
        QMutexLocker locker(&m_state->mutex);
        m_state->openAll();
    }

private:
    struct State
    {
        QMutex mutex;
        std::vector<std::shared_ptr<QPromise<void>>> promises;
        std::size_t opened = 0;
        bool closed = false;
        // Each once: finishing a QPromise twice runs its continuation twice on Qt 6.4.
        void openAll()
        {
            for (; opened < promises.size(); ++opened)
                promises[opened]->finish();
        }
    };
    std::shared_ptr<State> m_state = std::make_shared<State>();
};

#endif // TASKTOOLS_TESTS_GATES_H
