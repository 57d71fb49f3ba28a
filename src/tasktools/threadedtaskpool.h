// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_THREADEDTASKPOOL_H
#define TASKTOOLS_THREADEDTASKPOOL_H

#include <tasktools/batchtask.h>
#include <tasktools/errors.h>
#include <tasktools/pooloptions.h>
#include <tasktools/poolstatus.h>
#include <tasktools/taskrecord.h>

#include <QtCore/qfuture.h>
#include <QtCore/qmutex.h>
#include <QtCore/qobject.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

namespace TaskTools {

namespace Detail {

class PoolCore;
class PoolThread;

// What both front-ends share: the pool's state and its lifecycle. Not API.
class TASKTOOLS_EXPORT PoolHandle
{
public:
    enum class SubmitMode { Throw, WaitForRoom };

    PoolHandle(const PoolOptions &options, QObject *owner,
               std::function<void(bool)> onStartedStopped);
    ~PoolHandle();
    PoolHandle(const PoolHandle &) = delete;
    PoolHandle &operator=(const PoolHandle &) = delete;

    // Takes the record; on error releases it (its future ends canceled) and throws.
    void submit(TaskNode *node, SubmitMode mode);

    // Backpressure without blocking. Once more than YieldBacklog tasks wait that the pool could
    // start (it is not at its `size`), a submission from another thread yields that thread's
    // time slice (QThread::yieldCurrentThread()) after queuing its task, every YieldEvery
    // submissions. Threads that only submit are otherwise always runnable: with 8 of them on
    // 2 CPUs the scheduler gave the pool thread ~2/9 of the machine, the backlog grew to ~70 %
    // of the tasks, and the rest of the run was the pool waking a sleeping producer for nearly
    // every result (tasktools_bench contention: 0.56x the single-producer rate, 161k context
    // switches per million tasks). Yielding, the pool keeps up (1.0-1.1x, see the README). A
    // yield costs a system call and returns at once when nothing else waits for that CPU.
    static constexpr qint64 YieldBacklog = 1024;
    static constexpr qint64 YieldEvery = 16;
    // The front-ends' createTask(), run() and createTasks(): make the record, submit it and
    // return its future.
    template<typename F>
    QFuture<TaskResult<F>> submitTask(F &&task, SubmitMode mode)
    {
        auto *node = makeTask(std::forward<F>(task));
        QFuture<TaskResult<F>> future = node->future();
        submit(node, mode);
        return future;
    }
    template<typename Range, typename F>
    QFuture<BatchResult<Range, F>> submitBatch(Range &&range, F &&function)
    {
        auto *node = makeBatch(std::forward<Range>(range), std::forward<F>(function));
        QFuture<BatchResult<Range, F>> future = node->future();
        submit(node, SubmitMode::Throw);
        return future;
    }
    // `run`, if given, receives the run started or stopped: a blocking caller joins that run's
    // thread only, never a later run that another thread may start meanwhile.
    QFuture<void> start(std::shared_ptr<PoolThread> *run = nullptr);
    QFuture<void> stop(std::optional<std::chrono::milliseconds> grace,
                       std::shared_ptr<PoolThread> *run = nullptr);
    // Waits until every run's thread has ended. Not from a pool thread.
    void join();
    // The destructors' stop: drains and joins, or detaches when called from the pool thread.
    void shutdown() noexcept;

    bool isRunning() const;
    bool isPoolThread() const;
    void checkBlockingAllowed(const char *call) const; // DeadlockError on a pool thread
    void addContext(std::function<QFuture<void>()> enter, std::function<QFuture<void>()> exit);
    // The front-ends' addContext(): any callables returning void or QFuture<void>.
    template<typename Enter, typename Exit>
    void addContextOf(Enter &&enter, Exit &&exit)
    {
        addContext(contextFunction(std::forward<Enter>(enter), "a context's enter"),
                   contextFunction(std::forward<Exit>(exit), "a context's exit"));
    }
    PoolStatus *status() const { return m_status; }
    QString name() const;
    // For tests: the blocking run() calls now waiting for room (maxPending) in the pool that
    // owns `status`; they hold no place in the buffer, so nothing public shows them.
    static int roomWaitersForTesting(const PoolStatus *status);
    // For tests: how often submitting threads yielded to the pool that owns `status`.
    static qint64 yieldsForTesting(const PoolStatus *status);

    // The front-end's per-task signals (see PoolCore::taskSignalState). Set once, in the
    // front-end's constructor; `emitter` runs on the pool thread; `disconnectAll` disconnects
    // every receiver of them, called by shutdown() in the destroying thread.
    void setTaskSignals(std::function<bool()> hasReceivers,
                        std::function<void(TaskNode::Outcome, const QString &)> emitter,
                        std::function<void()> disconnectAll);
    // From the front-end's connectNotify() / disconnectNotify() for a task signal; any thread
    // (a receiver destroyed in its own thread disconnects there), until shutdown() began.
    void taskSignalConnected() noexcept;
    void taskSignalDisconnected() noexcept;

    template<typename R>
    R waitForResult(QFuture<R> &future) const
    {
        spinWhileRunning(future);
        try {
            future.waitForFinished(); // rethrows the task's exception
        } catch (...) {
            tsanAcquireFuture(QFutureInterfaceBase::get(future));
            throw;
        }
        tsanAcquireFuture(QFutureInterfaceBase::get(future));
        if (future.isCanceled())
            throwCanceled();
        if constexpr (!std::is_void_v<R>) {
            if constexpr (std::is_copy_constructible_v<R>)
                return future.result();
            else
                return future.takeResult();
        }
    }

    // A blocking run() polls its future for up to SpinNs before it sleeps in waitForFinished():
    // a short task's result then arrives without the waiter having to be woken, which costs
    // about as much again as the wake of the pool thread (tens of µs on a VM). The bound keeps
    // the CPU burnt on a long task negligible next to the task itself.
    static constexpr qint64 SpinNs = 50'000;
    template<typename R>
    static void spinWhileRunning(const QFuture<R> &future)
    {
        if (future.isFinished())
            return;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(SpinNs);
        for (int i = 1; !future.isFinished(); ++i) {
            if (i % 64 == 0) {
                if (std::chrono::steady_clock::now() > deadline)
                    return;
                std::this_thread::yield(); // lets the pool thread run if it shares our core
            }
            cpuRelax();
        }
    }

private:
    [[noreturn]] void throwCanceled() const;
    void yieldIfBehind();

    std::shared_ptr<PoolCore> d;
    PoolStatus *m_status;
    // Orders the task-signal notifications coming from other threads before shutdown() resets
    // `d`: Qt's own ordering of them (see shutdown()) is inside libQt6Core, where
    // ThreadSanitizer cannot see it.
    QMutex m_signalMutex;
    bool m_signalsClosed = false; // guarded by m_signalMutex; set by shutdown()
    std::function<void()> m_disconnectTaskSignals; // see setTaskSignals()
};

} // namespace Detail

// A pool of tasks running on one dedicated thread with its own event loop, for callers that may
// block (worker threads, command-line tools, tests). See AsyncThreadedTaskPool for callers that
// live in an event loop themselves.
//
// A task is a callable taking no arguments. If it returns T (void included) it runs to
// completion on the pool thread; if it returns QFuture<T> it is asynchronous: it counts as
// running until that inner future finishes, and may use the pool thread's event loop (timers,
// sockets, QNetworkAccessManager) meanwhile. Either way the submission gives a QFuture<T> that
// always finishes: with the result, with the task's own exception, with TimeoutError, or
// canceled.
//
// Thread-safety: every function may be called from any thread; the blocking ones (start, stop,
// run) throw DeadlockError when called from the pool's own thread. The pool is created stopped;
// start() and stop() may repeat. Destroying a running pool stops it first (draining every
// task). Destroying it from its own thread (from inside a task) cannot wait for that thread: the
// pool then closes to new tasks and the thread finishes the drain, exits the contexts and ends
// on its own, after the destructor returned.
class TASKTOOLS_EXPORT BlockingThreadedTaskPool : public QObject
{
    Q_OBJECT
public:
    // Throws std::invalid_argument for a negative size, timeout or maxPending.
    explicit BlockingThreadedTaskPool(PoolOptions options = {}, QObject *parent = nullptr);
    ~BlockingThreadedTaskPool() override;

    // Returns once the loop runs and every context is entered; rethrows the exception of a
    // context's enter (the contexts entered before it are exited first).
    // Throws AlreadyRunningError if running, DeadlockError on the pool thread.
    void start();
    // Returns once every submitted task finished, the contexts exited and the thread is joined.
    // Rethrows the first exception of a context's exit (after the shutdown completed).
    // Throws NotRunningError if not running, DeadlockError on the pool thread.
    void stop();
    // Like stop(), but once `grace` has passed, buffered tasks are dropped (never invoked) and
    // running asynchronous tasks have their inner futures canceled; their futures end canceled.
    void stop(std::chrono::milliseconds grace);
    bool isRunning() const;

    // Submits a task and returns its future at once. Never blocks; when the pool has fallen
    // behind, an occasional call yields its thread's time slice to it (see
    // Detail::PoolHandle::YieldBacklog). Throws NotRunningError if the pool is not running,
    // PoolFullError if PoolOptions::maxPending tasks already wait, std::invalid_argument for an
    // empty std::function.
    template<typename F>
    [[nodiscard]] QFuture<Detail::TaskResult<F>> createTask(F &&task)
    {
        return m_pool.submitTask(std::forward<F>(task), Detail::PoolHandle::SubmitMode::Throw);
    }

    // Submits a batch: calls `function(element)` on the pool thread for each element of
    // `range`, in order, and returns one future whose results are all the results in order
    // (compare QtConcurrent::mapped(); QFuture<void> if the function returns void). Results are
    // reported in blocks as they come (QFutureWatcher::resultsReadyAt(), progressValue() for a
    // sized range). `range` is copied or moved into the batch: a container, or a view such as
    // std::views::iota(0, n) or a std::span over data that outlives the batch. The function is
    // synchronous (for asynchronous work use createTask()). Never blocks.
    //
    // The whole batch is one task of the pool: one slot of `size` while it runs, one entry of
    // `maxPending` while it waits, one task in PoolStatus. It calls the function for a few
    // milliseconds at a time, yielding to the pool thread's event loop in between (other tasks,
    // timers and sockets go on meanwhile), so it can be interrupted between two elements:
    // the pool's timeout (counted from the batch's start) ends it with TimeoutError, a cancel()
    // of its future or a stop(grace) whose grace ran out ends it canceled, and a function that
    // throws ends it with that exception; the remaining elements are then skipped. A plain
    // stop() lets it finish. Throws like createTask(), and std::invalid_argument for a sized
    // range of more than INT_MAX elements.
    template<typename Range, typename F>
    [[nodiscard]] QFuture<Detail::BatchResult<Range, F>> createTasks(Range &&range, F &&function)
    {
        return m_pool.submitBatch(std::forward<Range>(range), std::forward<F>(function));
    }

    // Submits a task and waits for it: returns its result or rethrows its exception;
    // throws CanceledError if it was canceled. Waits for room when the buffer is full (and
    // throws NotRunningError if the pool stops meanwhile). DeadlockError on the pool thread.
    template<typename F>
    Detail::TaskResult<F> run(F &&task)
    {
        m_pool.checkBlockingAllowed("run()");
        QFuture<Detail::TaskResult<F>> future =
            m_pool.submitTask(std::forward<F>(task), Detail::PoolHandle::SubmitMode::WaitForRoom);
        return m_pool.waitForResult(future);
    }

    // Adds a context: `enter` runs on the pool thread once its loop started (before any task),
    // `exit` after the last task finished, in reverse order of addContext(). Each returns void
    // or QFuture<void> (then awaited). Throws AlreadyRunningError while running.
    template<typename Enter, typename Exit>
    void addContext(Enter &&enter, Exit &&exit)
    {
        m_pool.addContextOf(std::forward<Enter>(enter), std::forward<Exit>(exit));
    }

    // Owned by the pool; lives in the thread that created the pool.
    PoolStatus *status() const { return m_pool.status(); }

Q_SIGNALS:
    // Emitted in the pool owner's thread (queued), after start completed / the run ended.
    void started();
    void stopped();

    // One of these per task, emitted on the pool thread as the task ends (its future has
    // finished): with a result, with an exception other than a timeout (`message` is its
    // what()), by the pool's timeout, or canceled (by its caller, or by stop(grace)). A receiver
    // living in another thread gets them queued in its own thread (Qt::AutoConnection; give a
    // lambda a context object). While nothing is connected they cost the pool nothing; a
    // connected one costs a queued call per task (a pool of a million tasks a second then runs
    // several times slower: on a busy pool connect the rare outcomes, and count with status()).
    // Not emitted once the pool's destructor has begun. To handle one task's result in a given
    // thread, use its future instead: QFuture::then(receiver, ...).
    void taskCompleted();
    void taskFailed(const QString &message);
    void taskTimedOut();
    void taskCanceled();

protected:
    void connectNotify(const QMetaMethod &signal) override;
    void disconnectNotify(const QMetaMethod &signal) override;

private:
    Detail::PoolHandle m_pool;
};

// A pool of tasks running on one dedicated thread with its own event loop, for callers inside
// an event loop (a GUI): nothing here blocks, except the destructor of a running pool, which
// drains it. Tasks behave as in BlockingThreadedTaskPool. Attach continuations to the futures
// with QFuture::then(receiver, ...) to handle results in the receiver's thread.
//
// Thread-safety: every function may be called from any thread, including the pool's own (a task
// may submit more tasks, or stop its pool). started() and stopped() are emitted in the pool
// owner's thread, the per-task signals on the pool thread (see BlockingThreadedTaskPool).
class TASKTOOLS_EXPORT AsyncThreadedTaskPool : public QObject
{
    Q_OBJECT
public:
    // Throws std::invalid_argument for a negative size, timeout or maxPending.
    explicit AsyncThreadedTaskPool(PoolOptions options = {}, QObject *parent = nullptr);
    // Stops (drains) a running pool, blocking until done; see BlockingThreadedTaskPool for the
    // case of a pool destroyed from its own thread.
    ~AsyncThreadedTaskPool() override;

    // Starts the pool; tasks may be submitted at once (they run once the contexts are entered).
    // The future finishes when running, or fails with a context's exception.
    // Throws AlreadyRunningError if running. A start() while a previous stop() still drains is
    // fine: the new run begins once the previous one ended.
    [[nodiscard]] QFuture<void> start();
    // Stops the pool: submissions throw NotRunningError from now on; the future finishes once
    // every task finished, the contexts exited and the thread ended, or fails with the first
    // exception of a context's exit. Throws NotRunningError if not running.
    [[nodiscard]] QFuture<void> stop();
    [[nodiscard]] QFuture<void> stop(std::chrono::milliseconds grace);
    bool isRunning() const;

    template<typename F>
    [[nodiscard]] QFuture<Detail::TaskResult<F>> createTask(F &&task)
    {
        return m_pool.submitTask(std::forward<F>(task), Detail::PoolHandle::SubmitMode::Throw);
    }

    // A batch: one future with every result in order; see BlockingThreadedTaskPool.
    template<typename Range, typename F>
    [[nodiscard]] QFuture<Detail::BatchResult<Range, F>> createTasks(Range &&range, F &&function)
    {
        return m_pool.submitBatch(std::forward<Range>(range), std::forward<F>(function));
    }

    // The same as createTask(): attach .then(context, ...) to the future.
    template<typename F>
    [[nodiscard]] QFuture<Detail::TaskResult<F>> run(F &&task)
    {
        return createTask(std::forward<F>(task));
    }

    template<typename Enter, typename Exit>
    void addContext(Enter &&enter, Exit &&exit)
    {
        m_pool.addContextOf(std::forward<Enter>(enter), std::forward<Exit>(exit));
    }

    PoolStatus *status() const { return m_pool.status(); }

Q_SIGNALS:
    // Emitted in the pool owner's thread (queued), after start completed / the run ended.
    void started();
    void stopped();

    // Per task, emitted on the pool thread as the task ends; see BlockingThreadedTaskPool.
    void taskCompleted();
    void taskFailed(const QString &message);
    void taskTimedOut();
    void taskCanceled();

protected:
    void connectNotify(const QMetaMethod &signal) override;
    void disconnectNotify(const QMetaMethod &signal) override;

private:
    Detail::PoolHandle m_pool;
};

} // namespace TaskTools

#endif // TASKTOOLS_THREADEDTASKPOOL_H
