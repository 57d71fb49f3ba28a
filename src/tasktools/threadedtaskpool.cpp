// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "threadedtaskpool.h"

#include "engine_p.h"
#include "poolcore_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qmetaobject.h>

#include <stdexcept>

Q_LOGGING_CATEGORY(lcPool, "tasktools.pool")

namespace TaskTools {
namespace Detail {

static PoolOptions validated(const PoolOptions &options)
{
    if (options.size < 0)
        throw std::invalid_argument(
            "TaskTools: PoolOptions::size must be >= 0 (0 = unlimited), got "
            + std::to_string(options.size));
    if (options.timeout.count() < 0)
        throw std::invalid_argument(
            "TaskTools: PoolOptions::timeout must be >= 0 ms (0 = none), got "
            + std::to_string(options.timeout.count()));
    if (options.maxPending < 0)
        throw std::invalid_argument(
            "TaskTools: PoolOptions::maxPending must be >= 0 (0 = unbounded), got "
            + std::to_string(options.maxPending));
    return options;
}

PoolHandle::PoolHandle(const PoolOptions &options, QObject *owner,
                       std::function<void(bool)> onStartedStopped)
    : d(std::make_shared<PoolCore>(validated(options)))
{
    m_status = new PoolStatus(d.get(), owner);
    QMutexLocker locker(&d->observerMutex);
    d->statusObject = m_status;
    d->owner = owner;
    if (onStartedStopped) {
        d->ownerCallback = [callback = std::move(onStartedStopped)](PoolCore::OwnerEvent event) {
            callback(event == PoolCore::OwnerEvent::Started);
        };
    }
}

PoolHandle::~PoolHandle()
{
    shutdown();
}

QString PoolHandle::name() const
{
    return d->options.name;
}

int PoolHandle::roomWaitersForTesting(const PoolStatus *status)
{
    return status->m_core->queue.roomWaiters.load(std::memory_order_relaxed);
}

qint64 PoolHandle::yieldsForTesting(const PoolStatus *status)
{
    return status->m_core->counters.yields.load(std::memory_order_relaxed);
}

bool PoolHandle::isRunning() const
{
    return d->counters.active.load(std::memory_order_acquire);
}

bool PoolHandle::isPoolThread() const
{
    return isRunThreadOf(d.get());
}

void PoolHandle::checkBlockingAllowed(const char *call) const
{
    if (isPoolThread())
        throw DeadlockError(d->options.name,
                            QStringLiteral("%1 was called from the pool's own thread, which would "
                                           "wait for itself forever")
                                .arg(QLatin1String(call)));
}

void PoolHandle::throwCanceled() const
{
    throw CanceledError(d->options.name, QStringLiteral("task was canceled"));
}

void PoolHandle::addContext(std::function<QFuture<void>()> enter,
                            std::function<QFuture<void>()> exit)
{
    QMutexLocker locker(&d->lifecycleMutex);
    if (isRunning())
        throw AlreadyRunningError(
            d->options.name, QStringLiteral("is already running: add contexts before start()"));
    d->contexts.push_back({std::move(enter), std::move(exit)});
}

void PoolHandle::submit(TaskNode *node, SubmitMode mode)
{
    SubmitQueue &q = d->queue;
    Counters &c = d->counters;
    QMutexLocker locker(&q.mutex);
    if (Q_UNLIKELY(!q.accepting)) {
        locker.unlock();
        node->release();
        throw NotRunningError(d->options.name, QStringLiteral("is not running"));
    }
    const quint64 generation = q.generation; // the run this submission is for
    if (const int maxPending = d->options.maxPending; maxPending > 0) {
        while (c.pending() >= maxPending) {
            if (mode == SubmitMode::Throw) {
                Counters::bump(c.rejected);
                locker.unlock();
                node->release();
                d->publishStatus();
                throw PoolFullError(d->options.name,
                                    QStringLiteral("is full: %1 tasks are already waiting "
                                                   "(maxPending)")
                                        .arg(maxPending));
            }
            q.roomWaiters.fetch_add(1, std::memory_order_relaxed);
            q.roomAvailable.wait(q.mutex);
            q.roomWaiters.fetch_sub(1, std::memory_order_relaxed);
            // A stop ends the wait even if a start() got the lock first: the run it waited for
            // is over, and it must not slip into the next one.
            if (!q.accepting || q.generation != generation) {
                locker.unlock();
                node->release();
                throw NotRunningError(d->options.name,
                                      QStringLiteral("is not running (it stopped while run() "
                                                     "waited for room)"));
            }
        }
    }
    q.list.push(node);
    if (mode == SubmitMode::WaitForRoom) // a blocking run(): its caller waits for the result
        Counters::bump(c.blockingSubmitted);
    Counters::bump(c.submitted);
    if (!q.wakePending && q.target) {
        q.wakePending = true;
        QCoreApplication::postEvent(q.target, new QEvent(Engine::wakeEventType()));
    }
    const qint64 sequence = c.submitted.load(std::memory_order_relaxed);
    locker.unlock();
    // A blocking run() is about to wait for its task anyway.
    if (Q_UNLIKELY(sequence % YieldEvery == 0) && mode == SubmitMode::Throw)
        yieldIfBehind();
}

void PoolHandle::yieldIfBehind()
{
    Counters &c = d->counters;
    if (c.pending() <= YieldBacklog)
        return;
    // Every slot taken: the buffered tasks wait for running ones to finish, not for CPU time.
    if (const int size = d->options.size;
        size > 0 && c.running.load(std::memory_order_relaxed) >= size)
        return;
    // The pool's own thread (a task submitting to its pool) is the one that is behind.
    if (isPoolThread())
        return;
    c.yields.fetch_add(1, std::memory_order_relaxed);
    QThread::yieldCurrentThread();
}

QFuture<void> PoolHandle::start(std::shared_ptr<PoolThread> *run)
{
    QMutexLocker locker(&d->lifecycleMutex);
    if (isRunning())
        throw AlreadyRunningError(d->options.name, QStringLiteral("is already running"));
    // Without an application object Qt refuses to run the pool thread's event loop and drops
    // the events that drive it: the pool would hang instead of starting.
    if (!QCoreApplication::instance())
        throw Error(d->options.name,
                    QStringLiteral("cannot start without a QCoreApplication: create the "
                                   "application object first (and destroy pools before it)"));

    // Forget finished runs; keep the latest as the new run's predecessor if it still drains.
    std::shared_ptr<PoolThread> previous = d->thread;
    if (previous && previous->isFinished())
        previous.reset();
    if (d->thread) {
        d->thread->releasePreviousIfJoined();
        if (previous)
            d->retired.push_back(d->thread);
    }
    std::erase_if(d->retired, [this](const std::shared_ptr<PoolThread> &t) {
        if (t != d->thread)
            t->releasePreviousIfJoined();
        return t->isFinished() && t.use_count() == 1;
    });

    quint64 generation;
    {
        QMutexLocker queueLocker(&d->queue.mutex);
        generation = ++d->queue.generation;
    }
    std::shared_ptr<PoolThread> thread =
        createPoolThread(d, std::move(previous), d->contexts, generation);
    d->thread = thread;
    {
        QMutexLocker queueLocker(&d->queue.mutex);
        d->queue.accepting = true;
        d->queue.target = nullptr; // attached once the contexts are entered
        d->counters.active.store(true, std::memory_order_release);
    }
    thread->start();
    d->publishStatus();
    if (run)
        *run = thread;
    return thread->startResult.future();
}

QFuture<void> PoolHandle::stop(std::optional<std::chrono::milliseconds> grace,
                               std::shared_ptr<PoolThread> *run)
{
    if (grace && grace->count() < 0)
        throw std::invalid_argument("TaskTools: the grace period of stop() must be >= 0 ms");
    QMutexLocker locker(&d->lifecycleMutex);
    TaskList batch;
    {
        SubmitQueue &q = d->queue;
        QMutexLocker queueLocker(&q.mutex);
        if (!q.accepting)
            throw NotRunningError(d->options.name, QStringLiteral("is not running"));
        q.accepting = false;
        d->counters.active.store(false, std::memory_order_release);
        batch = q.list.take();
        q.target = nullptr;
        q.wakePending = false;
        q.roomAvailable.notify_all();
    }
    const std::shared_ptr<PoolThread> &thread = d->thread;
    if (run)
        *run = thread;
    const qint64 graceDeadline = grace ? monotonicNowNs() + qint64(grace->count()) * 1'000'000 : -1;
    if (!thread->inbox()->requestStop(batch, graceDeadline)) {
        // The run already ended (its start failed): nothing will run these.
        while (!batch.isEmpty()) {
            TaskNode *node = batch.pop();
            node->cancel();
            d->counters.canceled.fetch_add(1, std::memory_order_relaxed);
            node->release();
        }
    }
    d->publishStatus();
    return thread->stopResult.future();
}

void PoolHandle::join()
{
    std::vector<std::shared_ptr<PoolThread>> threads;
    {
        QMutexLocker locker(&d->lifecycleMutex);
        threads = d->retired;
        if (d->thread)
            threads.push_back(d->thread);
    }
    for (const auto &thread : threads)
        thread->join();
}

void PoolHandle::setTaskSignals(std::function<bool()> hasReceivers,
                                std::function<void(TaskNode::Outcome, const QString &)> emitter,
                                std::function<void()> disconnectAll)
{
    d->hasTaskReceivers = std::move(hasReceivers);
    d->emitTaskEnded = std::move(emitter);
    m_disconnectTaskSignals = std::move(disconnectAll);
}

void PoolHandle::taskSignalConnected() noexcept
{
    QMutexLocker locker(&m_signalMutex);
    if (!m_signalsClosed)
        d->taskSignalConnected();
}

void PoolHandle::taskSignalDisconnected() noexcept
{
    QMutexLocker locker(&m_signalMutex);
    if (!m_signalsClosed)
        d->taskSignalDisconnected();
}

void PoolHandle::shutdown() noexcept
{
    if (!d)
        return;
    // A receiver destroyed in another thread calls the front-end's disconnectNotify() there,
    // for each of its connections, possibly while this runs. Qt calls it under the receiver's
    // lock, which disconnecting takes too: once the task signals are disconnected here, the
    // calls for them have returned and no more can come, before `d` and the front-end go.
    // (Its other signals' disconnectNotify() touches nothing.) The calls that came first took
    // m_signalMutex, which orders them before the reset visibly to ThreadSanitizer as well.
    if (m_disconnectTaskSignals)
        m_disconnectTaskSignals();
    {
        QMutexLocker locker(&m_signalMutex);
        m_signalsClosed = true;
    }
    {
        QMutexLocker locker(&d->observerMutex);
        d->statusObject = nullptr;
        d->owner = nullptr;
        d->ownerCallback = nullptr;
    }
    const bool onPoolThread = isPoolThread();
    if (isRunning()) {
        try {
            (void)stop(std::nullopt);
        } catch (const NotRunningError &) {
            // another thread stopped it meanwhile
        }
    }
    if (onPoolThread) {
        // Cannot wait for ourselves: the run finishes on its own and holds the core until then.
        qCDebug(lcPool) << "pool" << d->options.name
                        << "destroyed from its own thread; its run ends after the destructor";
        if (m_status->thread() != QThread::currentThread()) {
            // The status's timers are registered with its own thread's event dispatcher: deleted
            // here (with the front-end, its parent), it would leave them behind, to fire on a
            // deleted object. Its own thread deletes it instead, and until then it reads a core
            // that the connection's functor keeps alive.
            m_status->setParent(nullptr);
            QObject::connect(m_status, &QObject::destroyed, [core = d] {});
            m_status->deleteLater();
        }
        d.reset();
        return;
    }
    if (!QCoreApplication::instance()) {
        bool alive = false;
        {
            QMutexLocker locker(&d->lifecycleMutex);
            alive = d->thread && !d->thread->isFinished();
        }
        if (alive) {
            // Qt drops the events that drive the pool once the application object is gone, so
            // waiting would hang. Leave the thread (and what it holds) to the process's exit.
            qWarning("TaskTools: pool \"%s\" destroyed after the QCoreApplication while running: "
                     "its tasks cannot be drained; destroy pools before the application object",
                     qPrintable(d->options.name));
            new std::shared_ptr<PoolCore>(std::move(d)); // deliberately leaked, see above
            return;
        }
    }
    join();
    {
        QMutexLocker locker(&d->lifecycleMutex);
        d->retired.clear();
        if (d->thread)
            d->thread->releasePreviousIfJoined();
        d->thread.reset();
    }
    d.reset();
}

namespace {

template<typename Pool>
bool isTaskSignal(const QMetaMethod &signal)
{
    return signal == QMetaMethod::fromSignal(&Pool::taskCompleted)
        || signal == QMetaMethod::fromSignal(&Pool::taskFailed)
        || signal == QMetaMethod::fromSignal(&Pool::taskTimedOut)
        || signal == QMetaMethod::fromSignal(&Pool::taskCanceled);
}

// Wires a front-end's per-task signals to its pool; `isConnected` is its isSignalConnected().
template<typename Pool, typename IsConnected>
void installTaskSignals(Pool *pool, PoolHandle &handle, IsConnected isConnected)
{
    handle.setTaskSignals(
        [isConnected] {
            return isConnected(QMetaMethod::fromSignal(&Pool::taskCompleted))
                || isConnected(QMetaMethod::fromSignal(&Pool::taskFailed))
                || isConnected(QMetaMethod::fromSignal(&Pool::taskTimedOut))
                || isConnected(QMetaMethod::fromSignal(&Pool::taskCanceled));
        },
        [pool](TaskNode::Outcome outcome, const QString &message) {
            switch (outcome) {
            case TaskNode::Outcome::Completed:
                Q_EMIT pool->taskCompleted();
                break;
            case TaskNode::Outcome::Failed:
                Q_EMIT pool->taskFailed(message);
                break;
            case TaskNode::Outcome::TimedOut:
                Q_EMIT pool->taskTimedOut();
                break;
            case TaskNode::Outcome::Canceled:
                Q_EMIT pool->taskCanceled();
                break;
            case TaskNode::Outcome::Running:
                break;
            }
        },
        [pool] {
            QObject::disconnect(pool, &Pool::taskCompleted, nullptr, nullptr);
            QObject::disconnect(pool, &Pool::taskFailed, nullptr, nullptr);
            QObject::disconnect(pool, &Pool::taskTimedOut, nullptr, nullptr);
            QObject::disconnect(pool, &Pool::taskCanceled, nullptr, nullptr);
        });
}

// The front-ends' disconnectNotify(). Qt may call it in any thread, even while the front-end is
// destroyed: for a task signal only until PoolHandle::shutdown() disconnected them, but for its
// other signals (a receiver of destroyed() dying in its thread) at any time, so those must not
// touch the pool. An invalid `signal` means "all signals" (an explicit disconnect()).
template<typename Pool>
void taskSignalDisconnected(PoolHandle &handle, const QMetaMethod &signal)
{
    if (!signal.isValid() || isTaskSignal<Pool>(signal))
        handle.taskSignalDisconnected();
}

} // namespace

} // namespace Detail

// --- BlockingThreadedTaskPool -----------------------------------------------------------------

BlockingThreadedTaskPool::BlockingThreadedTaskPool(PoolOptions options, QObject *parent)
    : QObject(parent), m_pool(options, this, [this](bool isStart) {
          if (isStart)
              Q_EMIT this->started();
          else
              Q_EMIT this->stopped();
      })
{
    Detail::installTaskSignals(this, m_pool,
                               [this](const QMetaMethod &m) { return isSignalConnected(m); });
}

BlockingThreadedTaskPool::~BlockingThreadedTaskPool()
{
    m_pool.shutdown();
}

void BlockingThreadedTaskPool::connectNotify(const QMetaMethod &signal)
{
    if (Detail::isTaskSignal<BlockingThreadedTaskPool>(signal))
        m_pool.taskSignalConnected();
}

void BlockingThreadedTaskPool::disconnectNotify(const QMetaMethod &signal)
{
    Detail::taskSignalDisconnected<BlockingThreadedTaskPool>(m_pool, signal);
}

void BlockingThreadedTaskPool::start()
{
    m_pool.checkBlockingAllowed("start()");
    std::shared_ptr<Detail::PoolThread> run;
    QFuture<void> future = m_pool.start(&run);
    try {
        future.waitForFinished();
        Detail::tsanAcquireFuture(QFutureInterfaceBase::get(future));
    } catch (...) {
        run->join(); // the failed run's thread exits once its contexts are unwound
        throw;
    }
}

// Joins the run it stopped (and so the runs before it, which that run joined first), not the
// pool's current run: another thread may start the next run meanwhile, and joining that one
// would block until it is stopped too.
void BlockingThreadedTaskPool::stop()
{
    m_pool.checkBlockingAllowed("stop()");
    std::shared_ptr<Detail::PoolThread> run;
    QFuture<void> future = m_pool.stop(std::nullopt, &run);
    run->join();
    future.waitForFinished(); // rethrows a context exit's exception
}

void BlockingThreadedTaskPool::stop(std::chrono::milliseconds grace)
{
    m_pool.checkBlockingAllowed("stop()");
    std::shared_ptr<Detail::PoolThread> run;
    QFuture<void> future = m_pool.stop(grace, &run);
    run->join();
    future.waitForFinished();
}

bool BlockingThreadedTaskPool::isRunning() const
{
    return m_pool.isRunning();
}

// --- AsyncThreadedTaskPool --------------------------------------------------------------------

AsyncThreadedTaskPool::AsyncThreadedTaskPool(PoolOptions options, QObject *parent)
    : QObject(parent), m_pool(options, this, [this](bool isStart) {
          if (isStart)
              Q_EMIT this->started();
          else
              Q_EMIT this->stopped();
      })
{
    Detail::installTaskSignals(this, m_pool,
                               [this](const QMetaMethod &m) { return isSignalConnected(m); });
}

AsyncThreadedTaskPool::~AsyncThreadedTaskPool()
{
    m_pool.shutdown();
}

void AsyncThreadedTaskPool::connectNotify(const QMetaMethod &signal)
{
    if (Detail::isTaskSignal<AsyncThreadedTaskPool>(signal))
        m_pool.taskSignalConnected();
}

void AsyncThreadedTaskPool::disconnectNotify(const QMetaMethod &signal)
{
    Detail::taskSignalDisconnected<AsyncThreadedTaskPool>(m_pool, signal);
}

QFuture<void> AsyncThreadedTaskPool::start()
{
    return m_pool.start();
}

QFuture<void> AsyncThreadedTaskPool::stop()
{
    return m_pool.stop(std::nullopt);
}

QFuture<void> AsyncThreadedTaskPool::stop(std::chrono::milliseconds grace)
{
    return m_pool.stop(grace);
}

bool AsyncThreadedTaskPool::isRunning() const
{
    return m_pool.isRunning();
}

} // namespace TaskTools
