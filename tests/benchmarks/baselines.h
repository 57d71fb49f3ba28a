// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_BENCH_BASELINES_H
#define TASKTOOLS_BENCH_BASELINES_H

// The alternatives a Qt developer would otherwise write, built the way that developer would
// write them, so that the suite compares TaskTools with them side by side in one process.

#include <QtCore/QFuture>
#include <QtCore/QFutureInterface>
#include <QtCore/QObject>
#include <QtCore/QThread>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace Bench {

// `std`: one worker thread fed through a mutex + condition variable + deque of std::function,
// one job at a time. Owns its thread; post() from any thread; the destructor finishes the
// queue and joins.
class StdWorker
{
public:
    StdWorker() : m_thread([this] { loop(); }) { }
    ~StdWorker()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_one();
        m_thread.join();
    }
    StdWorker(const StdWorker &) = delete;
    StdWorker &operator=(const StdWorker &) = delete;

    void post(std::function<void()> job)
    {
        {
            std::lock_guard lock(m_mutex);
            m_jobs.push_back(std::move(job));
        }
        m_wake.notify_one();
    }

private:
    void loop()
    {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_wake.wait(lock, [this] { return m_stop || !m_jobs.empty(); });
            if (m_jobs.empty())
                return; // stopping, and nothing left
            std::function<void()> job = std::move(m_jobs.front());
            m_jobs.pop_front();
            lock.unlock();
            job();
            lock.lock();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_jobs;
    bool m_stop = false;
    std::thread m_thread;
};

// `qt-invoke`: a worker QObject living in its own QThread, fed with
// QMetaObject::invokeMethod(worker, functor, Qt::QueuedConnection) per task.
class InvokeWorker
{
public:
    InvokeWorker() : m_worker(new QObject)
    {
        m_thread.setObjectName(QStringLiteral("qt-invoke worker"));
        m_worker->moveToThread(&m_thread);
        m_thread.start();
    }
    ~InvokeWorker()
    {
        // Deleted on its own thread, after every queued call ahead of it.
        QMetaObject::invokeMethod(
            m_worker,
            [worker = m_worker] {
                delete worker;
                QThread::currentThread()->quit();
            },
            Qt::QueuedConnection);
        m_thread.wait();
    }
    InvokeWorker(const InvokeWorker &) = delete;
    InvokeWorker &operator=(const InvokeWorker &) = delete;

    template<typename F>
    void post(F &&f)
    {
        QMetaObject::invokeMethod(m_worker, std::forward<F>(f), Qt::QueuedConnection);
    }

private:
    QThread m_thread;
    QObject *m_worker;
};

// QFuture::result() and waitForFinished() of a QtConcurrent future run a task that is still
// queued on the *waiting* thread (QThreadPool work stealing). The baseline must measure the
// pool thread doing the work, so the future forgets its runnable: waiting then just waits.
template<typename T>
QFuture<T> withoutStealing(QFuture<T> future)
{
    QFutureInterfaceBase::get(future).setRunnable(nullptr);
    return future;
}

} // namespace Bench

#endif // TASKTOOLS_BENCH_BASELINES_H
