// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "engine_p.h"

#include "errors.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qcoreevent.h>
#include <QtCore/qloggingcategory.h>

#include <algorithm>

Q_LOGGING_CATEGORY(lcEngine, "tasktools.pool")

namespace TaskTools::Detail {

namespace {

const QEvent::Type StartupEventType = QEvent::Type(QEvent::registerEventType());
const QEvent::Type QuitEventType = QEvent::Type(QEvent::registerEventType());

// How many buffered tasks one sweep inspects for a caller's cancel(). Deeper ones are
// released when they reach the head of the buffer.
constexpr int SweepBufferDepth = 1024;

} // namespace

QEvent::Type Engine::wakeEventType()
{
    static const QEvent::Type type = QEvent::Type(QEvent::registerEventType());
    return type;
}

Engine::Engine(PoolThread &thread)
    : m_thread(thread),
      m_core(thread.core()),
      m_inbox(thread.inbox()),
      m_size(thread.core().options.size),
      m_timeoutNs(thread.core().timeoutNs)
{
    m_contexts = thread.contexts();
}

Engine::~Engine()
{
    Q_ASSERT(m_buffer.isEmpty());
    Q_ASSERT(m_running.empty());
}

void Engine::begin()
{
    QCoreApplication::postEvent(this, new QEvent(StartupEventType));
}

bool Engine::event(QEvent *event)
{
    if (event->type() == wakeEventType()) {
        if (!m_draining)
            drain();
        // else: the outer drain() keeps looping until both queues are idle.
        return true;
    }
    if (event->type() == StartupEventType) {
        enterContexts();
        return true;
    }
    if (event->type() == QuitEventType) {
        m_thread.exit(0);
        return true;
    }
    return QObject::event(event);
}

void Engine::timerEvent(QTimerEvent *event)
{
    if (m_draining)
        return; // a nested event loop inside a task; the timer fires again later
    m_sliceStart = monotonicNowNs();
    const int id = event->timerId();
    if (id == m_timeoutTimer.timerId()) {
        expireTimeouts();
    } else if (id == m_sweepTimer.timerId()) {
        sweep();
    } else if (id == m_graceTimer.timerId()) {
        m_graceTimer.stop();
        expireGrace();
    } else {
        QObject::timerEvent(event);
        return;
    }
    if (!admit())
        postWake();
    afterActivity();
}

void Engine::postWake()
{
    QCoreApplication::postEvent(this, new QEvent(wakeEventType()));
}

bool Engine::ownsSubmitQueue()
{
    return m_attached;
}

// The heart of the pool: take what other threads handed over, then start what may start.
void Engine::drain()
{
    m_draining = true;
    m_sliceStart = monotonicNowNs();
    Inbox::Batch in;
    for (;;) {
        m_inbox->take(in);
        for (Inbox::Call &call : in.calls)
            call(*this);
        in.calls.clear();
        if (in.stopRequested) {
            in.stopRequested = false;
            handleStop(in.stopBatch, in.graceDeadline);
        }
        for (TaskNode *node = in.completions; node;) {
            TaskNode *next = node->next;
            onInnerFinished(node);
            node = next;
        }
        in.completions = nullptr;

        if (m_attached) {
            SubmitQueue &q = m_core.queue;
            QMutexLocker locker(&q.mutex);
            if (q.target == this) {
                // Once per batch: submitted and pending moved (and running, once admitted).
                m_dirty = m_dirty || !q.list.isEmpty();
                m_buffer.append(q.list);
                m_seenSubmitted = m_core.counters.submitted.load(std::memory_order_relaxed);
            } else {
                m_attached = false; // stop() detached us; the rest comes with the stop request
            }
        }

        if (!admit()) {
            postWake(); // yield to the event loop; our wake stays pending
            break;
        }
        // Also when tasks keep coming in small batches (admit() reads the clock only every 32
        // starts): timers, sockets and the cancel sweep must not wait for the stream to end.
        if (monotonicNowNs() - m_sliceStart > SliceNs) {
            postWake();
            break;
        }

        if (m_attached && lingerForSubmissions())
            continue;
        bool idle = m_inbox->tryIdle();
        if (idle && m_attached) {
            SubmitQueue &q = m_core.queue;
            QMutexLocker locker(&q.mutex);
            if (q.target == this && !q.list.isEmpty())
                idle = false;
            else if (q.target == this)
                q.wakePending = false;
        }
        if (idle)
            break;
    }
    m_draining = false;
    afterActivity();
}

// Before the engine goes idle, it watches the submission counter for up to LingerNs: a producer
// streaming tasks refills the queue within microseconds, and catching that here saves it a
// posted event and this thread a round through the event loop and back (measured: 20k -> 300
// wake-ups per million tasks, 25x fewer context switches). True if tasks arrived meanwhile.
//
// When they arrive, it does not take them one by one as they come, but gathers a batch (see
// GatherTasks): taking each task right after the producer wrote it makes the two threads fight
// over the same cache lines (the queue's lock, the record, the heap around it) task by task.
// Measured with tasktools_bench throughput: the queue's lock was taken 150k-340k times per
// million tasks, now ~100k; medians of three interleaved 8-round sets 1.15/1.14/1.02 ->
// 1.20/1.19/1.10 M tasks/s, with 8 producers 0.71 -> 0.77. For the same reason the counter is
// read only every PausesPerPoll pauses. A blocking run() is not kept waiting: its caller sleeps
// until the task ran.
bool Engine::lingerForSubmissions()
{
    // Never past the drain's time slice: a trickle of tasks (fewer than admit() counts before
    // it reads the clock) must not keep the event loop, its timers and status updates waiting.
    const qint64 start = monotonicNowNs();
    if (start - m_sliceStart > SliceNs)
        return false;
    const Counters &c = m_core.counters;
    const qint64 blocking = c.blockingSubmitted.load(std::memory_order_relaxed);
    qint64 seen = m_seenSubmitted;
    qint64 firstArrival = -1;
    qint64 lastArrival = -1;
    qint64 nextYield = start + YieldIntervalNs;
    for (;;) {
        for (int i = 0; i < PausesPerPoll; ++i)
            cpuRelax();
        const qint64 submitted = c.submitted.load(std::memory_order_relaxed);
        const qint64 now = monotonicNowNs();
        if (submitted != seen) {
            if (submitted - m_seenSubmitted >= GatherTasks
                || c.blockingSubmitted.load(std::memory_order_relaxed) != blocking)
                return true;
            seen = submitted;
            lastArrival = now;
            if (firstArrival < 0)
                firstArrival = now;
        } else if (firstArrival >= 0) {
            if (now - lastArrival > GatherGapNs || now - firstArrival > GatherMaxNs)
                return true;
        } else if (now - start > LingerNs) {
            return false;
        }
        if (now >= nextYield) {
            QThread::yieldCurrentThread(); // a producer sharing our core gets to run
            nextYield = now + YieldIntervalNs;
        }
    }
}

bool Engine::admit()
{
    if (m_state != State::Running)
        return true;
    if (m_graceExpired) {
        dropAll(m_buffer);
        return true;
    }
    int sinceClockCheck = 0;
    bool done = true;
    const std::size_t limit = m_size > 0 ? std::size_t(m_size) : std::size_t(-1);
    while (!m_buffer.isEmpty() && m_running.size() < limit) {
        // A stop's grace may run out while a task blocks this thread, before its timer (or even
        // the stop request) can be seen: check the deadline itself before each start.
        if (const qint64 grace = m_inbox->graceDeadline();
            Q_UNLIKELY(grace >= 0) && monotonicNowNs() >= grace) {
            expireGrace();
            break;
        }
        TaskNode *node = m_buffer.pop();
        if (node->isCanceled()) {
            drop(node);
            continue;
        }
        startTask(node);
        if (++sinceClockCheck == 32) {
            sinceClockCheck = 0;
            if (monotonicNowNs() - m_sliceStart > SliceNs) {
                done = m_buffer.isEmpty() || m_running.size() >= limit;
                break;
            }
        }
    }
    if (m_core.options.maxPending > 0) {
        // Taken even with nobody waiting: a run() that saw the buffer full did so under this
        // lock, so it either sees the room made above or is already waiting for this wake.
        QMutexLocker locker(&m_core.queue.mutex);
        if (m_core.queue.roomWaiters.load(std::memory_order_relaxed) > 0)
            m_core.queue.roomAvailable.notify_all();
    }
    return done;
}

void Engine::startTask(TaskNode *node)
{
    Counters &c = m_core.counters;
    c.running.store(int(m_running.size()) + 1, std::memory_order_relaxed);
    const TaskNode::Outcome outcome = node->run(m_inbox);
    if (outcome == TaskNode::Outcome::Running) {
        node->runIndex = int(m_running.size());
        m_running.push_back(node);
        if (m_timeoutNs > 0) {
            const qint64 deadline = monotonicNowNs() + m_timeoutNs;
            m_deadlines.push(node, deadline);
            armTimeout(deadline);
        }
    } else {
        c.running.store(int(m_running.size()), std::memory_order_relaxed);
        node->ended = true;
        account(node, outcome);
        node->release();
    }
}

void Engine::onInnerFinished(TaskNode *node)
{
    if (!node->ended) {
        if (node->isInnerFinished()) {
            endRunning(node, node->complete());
        } else {
            // Our continuation was replaced by another then() on the same inner future (Qt
            // keeps one per future) and Qt canceled ours: fall back to the sweep's polling.
            node->polled = true;
        }
    }
    node->release(); // the watch's reference
}

// Ends a running asynchronous task whose outer future is already finished.
void Engine::endRunning(TaskNode *node, TaskNode::Outcome outcome)
{
    Q_ASSERT(!node->ended && node->runIndex >= 0);
    const std::size_t index = std::size_t(node->runIndex);
    TaskNode *last = m_running.back();
    m_running[index] = last;
    last->runIndex = int(index);
    m_running.pop_back();
    node->runIndex = -1;
    m_deadlines.remove(node);
    m_core.counters.running.store(int(m_running.size()), std::memory_order_relaxed);
    node->ended = true;
    account(node, outcome);
    node->release(); // the engine's reference
}

void Engine::account(TaskNode *node, TaskNode::Outcome outcome)
{
    Counters &c = m_core.counters;
    switch (outcome) {
    case TaskNode::Outcome::Completed:
        Counters::bump(c.completed);
        break;
    case TaskNode::Outcome::Failed:
        Counters::bump(c.failed);
        break;
    case TaskNode::Outcome::Canceled:
        Counters::bump(c.canceled);
        break;
    case TaskNode::Outcome::TimedOut:
        Counters::bump(c.timedOut);
        break;
    case TaskNode::Outcome::Running:
        Q_UNREACHABLE();
    }
    m_dirty = true;
    // The per-task signals: one relaxed load per task while nobody listens.
    if (Q_UNLIKELY(m_core.taskSignalState.load(std::memory_order_relaxed)
                   & PoolCore::TaskSignalsOn))
        m_core.notifyTaskEnded(node, outcome);
    node->releaseCallable(); // breaks the node <-> inner producer cycle of an unfinished inner
}

// A task that never runs: its outer future ends canceled.
void Engine::drop(TaskNode *node)
{
    node->cancel();
    node->ended = true;
    account(node, TaskNode::Outcome::Canceled);
    node->release();
}

void Engine::dropAll(TaskList &list)
{
    while (!list.isEmpty())
        drop(list.pop());
}

void Engine::afterActivity()
{
    const bool needSweep = !m_running.empty() || !m_buffer.isEmpty();
    if (needSweep && !m_sweepTimer.isActive())
        m_sweepTimer.start(SweepIntervalMs, Qt::CoarseTimer, this);
    else if (!needSweep && m_sweepTimer.isActive())
        m_sweepTimer.stop();
    if (m_dirty) {
        m_dirty = false;
        m_core.publishStatus();
    }
    maybeFinishStop();
}

void Engine::armTimeout(qint64 deadline)
{
    if (m_timeoutTimer.isActive() && m_armedDeadline <= deadline)
        return;
    const qint64 delayNs = std::max<qint64>(0, deadline - monotonicNowNs());
    const int delayMs = int(std::min<qint64>((delayNs + 999'999) / 1'000'000, 24 * 3600 * 1000));
    m_timeoutTimer.start(delayMs, Qt::PreciseTimer, this);
    m_armedDeadline = deadline;
}

void Engine::expireTimeouts()
{
    const qint64 now = monotonicNowNs();
    if (m_expireBefore < 0) {
        // In two steps. When this thread was busy or not scheduled, this timer fires late, in
        // the same pass as the timers that end tasks' inner futures, due before their deadlines
        // but maybe placed after this one: let that pass finish first, then expire only what
        // was due now. (A task whose inner future finished meanwhile completes below.)
        m_expireBefore = now;
        m_armedDeadline = now;
        m_timeoutTimer.start(1, Qt::PreciseTimer, this);
        return;
    }
    const qint64 limit = std::exchange(m_expireBefore, -1);
    m_timeoutTimer.stop();
    while (!m_deadlines.isEmpty() && m_deadlines.topDeadline() <= limit) {
        TaskNode *node = m_deadlines.pop();
        // Finished in time, but this thread was busy (a blocking task) until after the
        // deadline, so its completion still waits in the inbox: it did not time out.
        if (node->isInnerFinished()) {
            const TaskNode::Outcome done = node->complete();
            if (done != TaskNode::Outcome::Running) {
                endRunning(node, done);
                continue;
            }
        }
        TaskNode::Outcome outcome = TaskNode::Outcome::TimedOut;
        if (node->isCanceled()) {
            node->cancel();
            outcome = TaskNode::Outcome::Canceled;
        } else {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::nanoseconds(m_timeoutNs));
            node->fail(std::make_exception_ptr(
                TimeoutError(m_core.options.name,
                             QStringLiteral("task timed out after %1 ms").arg(ms.count()))));
            if (!node->exception())
                outcome = TaskNode::Outcome::Canceled; // the caller's cancel() came first
        }
        // The watch keeps the node alive: its completion comes back through the inbox.
        node->cancelInner();
        endRunning(node, outcome);
    }
    if (!m_deadlines.isEmpty())
        armTimeout(m_deadlines.topDeadline());
}

// Finds outer futures canceled by their callers: a QFuture has room for one continuation only,
// which belongs to the caller, so the engine polls instead.
void Engine::sweep()
{
    for (std::size_t i = m_running.size(); i-- > 0;) {
        TaskNode *node = m_running[i];
        if (node->isCanceled() && node->isInnerFinished()) {
            // It ended on its own and its completion is on the way (a batch that failed: on
            // Qt 6.4 an outer future with an exception reports canceled too): its own outcome.
            endRunning(node, node->complete());
        } else if (node->isCanceled()) {
            node->cancel();
            node->cancelInner();
            endRunning(node, TaskNode::Outcome::Canceled);
        } else if (node->polled && node->isInnerFinished()) {
            endRunning(node, node->complete());
        }
    }
    TaskNode *prev = nullptr;
    TaskNode *node = m_buffer.head;
    for (int depth = 0; node && depth < SweepBufferDepth; ++depth) {
        TaskNode *next = node->next;
        if (node->isCanceled()) {
            if (prev)
                prev->next = next;
            else
                m_buffer.head = next;
            if (m_buffer.tail == node)
                m_buffer.tail = prev;
            drop(node);
        } else {
            prev = node;
        }
        node = next;
    }
}

void Engine::expireGrace()
{
    m_graceExpired = true;
    dropAll(m_buffer);
    while (!m_running.empty()) {
        TaskNode *node = m_running.back();
        node->cancel();
        node->cancelInner();
        endRunning(node, TaskNode::Outcome::Canceled);
    }
}

void Engine::handleStop(TaskList &batch, qint64 graceDeadline)
{
    m_stopRequested = true;
    m_attached = false; // stop() detached the submit queue and handed us what it held
    m_buffer.append(batch);
    if (m_state != State::Running && m_state != State::Starting) {
        dropAll(m_buffer);
        return;
    }
    if (graceDeadline >= 0) {
        const qint64 delayNs = std::max<qint64>(0, graceDeadline - monotonicNowNs());
        // Rounded up: the timer must not fire before the grace has passed.
        m_graceTimer.start(int(std::min<qint64>((delayNs + 999'999) / 1'000'000, 24 * 3600 * 1000)),
                           Qt::PreciseTimer, this);
    }
}

void Engine::maybeFinishStop()
{
    if (m_state == State::Running && m_stopRequested && m_buffer.isEmpty() && m_running.empty()) {
        m_state = State::Exiting;
        m_timeoutTimer.stop();
        m_sweepTimer.stop();
        m_graceTimer.stop();
        m_deadlines.clear();
        exitContexts();
    }
}

// --- contexts ---------------------------------------------------------------------------------

std::exception_ptr Engine::contextError(const QFuture<void> &future, const char *what) const
{
    QFutureInterfaceBase fi = QFutureInterfaceBase::get(future);
    if (fi.hasException())
        return fi.exceptionStore().exception();
    if (future.isCanceled())
        return std::make_exception_ptr(CanceledError(
            m_core.options.name,
            QStringLiteral("a context's %1 future was canceled").arg(QLatin1String(what))));
    return {};
}

void Engine::watchContextFuture(const QFuture<void> &future, void (Engine::*handler)(QFuture<void>))
{
    std::shared_ptr<Inbox> inbox = m_inbox;
    auto post = [inbox, future, handler] {
        inbox->postCall([future, handler](Engine &engine) { (engine.*handler)(future); });
    };
    watchFuture(future, std::move(post));
}

void Engine::enterContexts()
{
    while (m_entered < m_contexts.size()) {
        QFuture<void> future;
        try {
            future = m_contexts[m_entered].enter();
        } catch (...) {
            startupFailed(std::current_exception());
            return;
        }
        if (!future.isFinished()) {
            watchContextFuture(future, &Engine::onEnterFinished);
            return;
        }
        if (std::exception_ptr error = contextError(future, "enter")) {
            startupFailed(error);
            return;
        }
        ++m_entered;
    }
    startupSucceeded();
}

void Engine::onEnterFinished(QFuture<void> future)
{
    if (std::exception_ptr error = contextError(future, "enter")) {
        startupFailed(error);
        return;
    }
    ++m_entered;
    enterContexts();
}

void Engine::startupSucceeded()
{
    m_state = State::Running;
    {
        SubmitQueue &q = m_core.queue;
        QMutexLocker locker(&q.mutex);
        if (q.accepting && q.generation == m_thread.generation() && !m_stopRequested) {
            q.target = this;
            m_attached = true;
            q.wakePending = true; // drain once now, whatever the queue holds
            postWake();
        }
    }
    tsanReleaseFuture(m_thread.startResult); // what the contexts' enter wrote, for start()
    m_thread.startResult.reportFinished();
    m_core.notifyOwner(PoolCore::OwnerEvent::Started);
    // A stop that arrived while contexts were entering applies now.
    if (!admit())
        postWake();
    afterActivity();
}

void Engine::startupFailed(std::exception_ptr error)
{
    m_startError = error;
    m_state = State::Exiting;
    TaskList orphans;
    {
        SubmitQueue &q = m_core.queue;
        QMutexLocker locker(&q.mutex);
        if (q.accepting && q.generation == m_thread.generation()) {
            q.accepting = false;
            m_core.counters.active.store(false, std::memory_order_relaxed);
            orphans = q.list.take();
            q.roomAvailable.notify_all();
        }
    }
    dropAll(orphans);
    dropAll(m_buffer);
    qCDebug(lcEngine) << "pool" << m_core.options.name << "failed to start";
    m_dirty = true;
    exitContexts();
}

void Engine::exitContexts()
{
    while (m_entered > 0) {
        QFuture<void> future;
        try {
            future = m_contexts[m_entered - 1].exit();
        } catch (...) {
            if (!m_exitError)
                m_exitError = std::current_exception();
            --m_entered;
            continue;
        }
        if (!future.isFinished()) {
            watchContextFuture(future, &Engine::onExitFinished);
            return;
        }
        if (std::exception_ptr error = contextError(future, "exit"); error && !m_exitError)
            m_exitError = error;
        --m_entered;
    }
    m_state = State::Done;
    if (m_dirty) {
        m_dirty = false;
        m_core.publishStatus();
    }
    // Quit through the event queue, behind what is already posted to this thread: those events
    // may hold references (a batch's next step holds its task) that must be let go here. Left in
    // the queue of a finished thread, they would never be delivered nor freed.
    QCoreApplication::postEvent(this, new QEvent(QuitEventType));
}

void Engine::onExitFinished(QFuture<void> future)
{
    if (std::exception_ptr error = contextError(future, "exit"); error && !m_exitError)
        m_exitError = error;
    --m_entered;
    exitContexts();
}

void Engine::dropLeftovers(Inbox::Batch &leftovers)
{
    for (TaskNode *node = leftovers.completions; node;) {
        TaskNode *next = node->next;
        node->release(); // the watch's reference of a task the engine already ended
        node = next;
    }
    leftovers.completions = nullptr;
    dropAll(leftovers.stopBatch);
    dropAll(m_buffer);
    // Only if the loop was quit behind the engine's back (a task calling QThread::quit()).
    while (!m_running.empty()) {
        TaskNode *node = m_running.back();
        node->cancel();
        node->cancelInner();
        endRunning(node, TaskNode::Outcome::Canceled);
    }
    m_deadlines.clear();
    leftovers.calls.clear();
    if (m_dirty) {
        m_dirty = false;
        m_core.publishStatus();
    }
}

} // namespace TaskTools::Detail
