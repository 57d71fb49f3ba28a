// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "poolcore_p.h"

#include "engine_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qcoreevent.h>
#include <QtCore/qpointer.h>

#include <chrono>

namespace TaskTools::Detail {

qint64 monotonicNowNs() noexcept
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

namespace {
thread_local const PoolCore *t_runCore = nullptr;
} // namespace

bool isRunThreadOf(const PoolCore *core) noexcept
{
    return t_runCore == core;
}

QEvent::Type statusUpdateEventType()
{
    static const QEvent::Type type = QEvent::Type(QEvent::registerEventType());
    return type;
}

// --- Inbox ------------------------------------------------------------------------------------

void Inbox::wakeLocked()
{
    if (m_wakePending || !m_target)
        return;
    m_wakePending = true;
    QCoreApplication::postEvent(m_target, new QEvent(Engine::wakeEventType()));
}

bool Inbox::postCall(Call call)
{
    QMutexLocker locker(&m_mutex);
    if (m_closed)
        return false;
    m_batch.calls.push_back(std::move(call));
    wakeLocked();
    return true;
}

void Inbox::postCompletion(TaskNode *node) noexcept
{
    {
        QMutexLocker locker(&m_mutex);
        if (!m_closed) {
            node->next = m_batch.completions;
            m_batch.completions = node;
            wakeLocked();
            return;
        }
    }
    node->release();
}

bool Inbox::requestStop(TaskList &batch, qint64 graceDeadline)
{
    QMutexLocker locker(&m_mutex);
    if (m_closed)
        return false;
    m_batch.stopRequested = true;
    m_batch.stopBatch.append(batch);
    m_batch.graceDeadline = graceDeadline;
    m_graceDeadline.store(graceDeadline, std::memory_order_relaxed);
    wakeLocked();
    return true;
}

void Inbox::attach(Engine *engine)
{
    QMutexLocker locker(&m_mutex);
    m_target = engine;
    if (m_batch.completions || !m_batch.calls.empty() || m_batch.stopRequested)
        wakeLocked();
}

void Inbox::take(Batch &out)
{
    Q_ASSERT(!out.completions && out.calls.empty() && !out.stopRequested);
    QMutexLocker locker(&m_mutex);
    out.completions = std::exchange(m_batch.completions, nullptr);
    out.calls.swap(m_batch.calls);
    if (m_batch.stopRequested) {
        out.stopRequested = true;
        out.stopBatch.append(m_batch.stopBatch);
        out.graceDeadline = m_batch.graceDeadline;
        m_batch.stopRequested = false;
    }
}

bool Inbox::tryIdle()
{
    QMutexLocker locker(&m_mutex);
    if (m_batch.completions || !m_batch.calls.empty() || m_batch.stopRequested)
        return false;
    m_wakePending = false;
    return true;
}

Inbox::Batch Inbox::close()
{
    QMutexLocker locker(&m_mutex);
    m_closed = true;
    m_target = nullptr;
    Batch out = std::move(m_batch);
    m_batch = Batch();
    return out;
}

// --- PoolCore ---------------------------------------------------------------------------------

PoolCore::PoolCore(const PoolOptions &opts)
    : options(opts),
      timeoutNs(std::chrono::duration_cast<std::chrono::nanoseconds>(opts.timeout).count())
{ }

PoolCore::~PoolCore() = default;

void PoolCore::publishStatus()
{
    if (statusUpdatePending.exchange(true, std::memory_order_acq_rel))
        return; // one update is already on its way; it reads the latest values
    QMutexLocker locker(&observerMutex);
    if (statusObject)
        QCoreApplication::postEvent(statusObject, new QEvent(statusUpdateEventType()));
    else
        statusUpdatePending.store(false, std::memory_order_release);
}

void PoolCore::notifyOwner(OwnerEvent event)
{
    QMutexLocker locker(&observerMutex);
    if (!owner || !ownerCallback)
        return;
    // Queued to the owner's thread; Qt discards the call if the owner is deleted first.
    QMetaObject::invokeMethod(owner,
                              QueuedCall([callback = ownerCallback, event] { callback(event); }),
                              Qt::QueuedConnection);
}

void PoolCore::taskSignalConnected() noexcept
{
    quint32 state = taskSignalState.load(std::memory_order_relaxed);
    while (!taskSignalState.compare_exchange_weak(state, (state + TaskSignalsEpoch) | TaskSignalsOn,
                                                  std::memory_order_acq_rel)) { }
}

void PoolCore::taskSignalDisconnected() noexcept
{
    taskSignalState.fetch_or(TaskSignalsRecheck, std::memory_order_acq_rel);
}

static QString failureMessage(const std::exception_ptr &error)
{
    if (!error)
        return {};
    try {
        std::rethrow_exception(error);
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    } catch (...) {
        return QStringLiteral("unknown exception");
    }
}

void PoolCore::notifyTaskEnded(TaskNode *node, TaskNode::Outcome outcome)
{
    {
        QMutexLocker locker(&observerMutex);
        if (!owner)
            return; // the front-end is being destroyed
    }
    quint32 state = taskSignalState.load(std::memory_order_acquire);
    if (state & TaskSignalsRecheck) {
        const bool connected = hasTaskReceivers();
        const quint32 next =
            connected ? state & ~TaskSignalsRecheck : state & ~(TaskSignalsRecheck | TaskSignalsOn);
        // Fails only if a connect came meanwhile: then stay on and recheck next time.
        taskSignalState.compare_exchange_strong(state, next, std::memory_order_acq_rel);
        if (!connected)
            return;
    }
    emitTaskEnded(outcome,
                  outcome == TaskNode::Outcome::Failed ? failureMessage(node->exception())
                                                       : QString());
}

// --- PoolThread -------------------------------------------------------------------------------

std::shared_ptr<PoolThread> createPoolThread(std::shared_ptr<PoolCore> core,
                                             std::shared_ptr<PoolThread> previous,
                                             std::vector<Context> contexts, quint64 generation)
{
    auto deleter = [](PoolThread *thread) {
        if (QThread::currentThread() == thread)
            thread->deleteLater(); // the last reference went with a detached run's core
        else
            delete thread; // waits for it to finish
    };
    return std::shared_ptr<PoolThread>(
        new PoolThread(std::move(core), std::move(previous), std::move(contexts), generation),
        deleter);
}

PoolThread::PoolThread(std::shared_ptr<PoolCore> core, std::shared_ptr<PoolThread> previous,
                       std::vector<Context> contexts, quint64 generation)
    : m_core(std::move(core)),
      m_inbox(std::make_shared<Inbox>()),
      m_previous(std::move(previous)),
      m_contexts(std::move(contexts)),
      m_generation(generation)
{
    setObjectName(m_core->options.name); // also the OS thread's name
    startResult.reportStarted();
    stopResult.reportStarted();
}

PoolThread::~PoolThread()
{
    join();
}

void PoolThread::join()
{
    wait();
    // QThread::wait() synchronizes inside Qt (not instrumented for ThreadSanitizer); this
    // acquire pairs with the release at the end of run() and makes the join visible to it.
    (void)m_runEnded.load(std::memory_order_acquire);
}

void PoolThread::run()
{
    // Declared first, destroyed last: publishes all this run wrote, `core`'s release included,
    // to whoever join()s it.
    struct RunEnded
    {
        std::atomic<bool> &flag;
        ~RunEnded() { flag.store(true, std::memory_order_release); }
    } runEnded {m_runEnded};
    if (m_previous)
        m_previous->join(); // a restart: the previous run must have exited its contexts
    m_previousJoined.store(true, std::memory_order_release);
    // Keeps the pool's shared state alive for this run, even if its front-end is destroyed
    // from this thread meanwhile.
    std::shared_ptr<PoolCore> core = m_core;
    t_runCore = core.get();

    std::exception_ptr startError;
    std::exception_ptr exitError;
    bool started = false;
    {
        Engine engine(*this);
        m_inbox->attach(&engine);
        engine.begin();
        exec();
        Inbox::Batch leftovers = m_inbox->close();
        engine.dropLeftovers(leftovers);
        startError = engine.startError();
        exitError = engine.exitError();
        started = engine.hasStarted();
    }

    if (!startResult.isFinished()) {
        if (startError)
            startResult.reportException(startError);
        else
            startResult.reportCanceled();
        startResult.reportFinished();
    }
    if (exitError)
        stopResult.reportException(exitError);
    stopResult.reportFinished();
    if (started)
        core->notifyOwner(PoolCore::OwnerEvent::Stopped);
    m_core.reset();
    t_runCore = nullptr;
    // `core` may be the last reference now (a pool destroyed from its own thread); it goes
    // here, on this thread, and hands this QThread object to deleteLater().
}

void PoolThread::releasePreviousIfJoined()
{
    if (m_previous && m_previousJoined.load(std::memory_order_acquire))
        m_previous.reset();
}

} // namespace TaskTools::Detail
