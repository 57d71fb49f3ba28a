// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_POOLCORE_P_H
#define TASKTOOLS_POOLCORE_P_H

//
//  W A R N I N G: private header, not part of the TaskTools API.
//

#include <tasktools/pooloptions.h>
#include <tasktools/taskrecord.h>

#include <QtCore/qfutureinterface.h>
#include <QtCore/qmutex.h>
#include <QtCore/qthread.h>
#include <QtCore/qwaitcondition.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <vector>

namespace TaskTools::Detail {

class Engine;
class PoolCore;

// steady_clock in nanoseconds: the one clock the engine asks.
qint64 monotonicNowNs() noexcept;

// Whether the calling thread is the thread of a run of the pool `core`, the current run or an
// earlier one still draining: PoolThread::run() marks its thread for the whole of the run, which
// is all the time any task, context or engine code runs there. One thread-local read, no lock.
bool isRunThreadOf(const PoolCore *core) noexcept;

// A FIFO of task records linked through TaskNode::next.
struct TaskList
{
    TaskNode *head = nullptr;
    TaskNode *tail = nullptr;

    bool isEmpty() const { return head == nullptr; }
    void push(TaskNode *node)
    {
        node->next = nullptr;
        if (tail)
            tail->next = node;
        else
            head = node;
        tail = node;
    }
    void append(TaskList &other)
    {
        if (other.isEmpty())
            return;
        if (tail)
            tail->next = other.head;
        else
            head = other.head;
        tail = other.tail;
        other = {};
    }
    TaskNode *pop()
    {
        TaskNode *node = head;
        head = node->next;
        if (!head)
            tail = nullptr;
        node->next = nullptr;
        return node;
    }
    TaskList take()
    {
        TaskList out = *this;
        *this = {};
        return out;
    }
};

// The counters behind PoolStatus. Engine-written fields have one writer at a time (the pool
// thread of the current run), so it bumps them with a relaxed load and store; any thread reads.
struct Counters
{
    // Submitters' counters and the engine's on separate cache lines: both sides write theirs
    // once or twice per task, and sharing a line made every task bounce it between the cores.
    alignas(64) std::atomic<qint64> submitted {0}; // written under SubmitQueue::mutex
    // Submissions by a blocking run(), whose caller waits for the result: the engine lingering
    // for a batch takes them at once. Written under SubmitQueue::mutex.
    std::atomic<qint64> blockingSubmitted {0};
    std::atomic<qint64> rejected {0}; // PoolFullError, written under SubmitQueue::mutex
    // Submitting threads that yielded their time slice to a pool that fell behind (see
    // PoolHandle::yieldIfBehind()). Any thread, rarely: an atomic increment.
    std::atomic<qint64> yields {0};
    alignas(64) std::atomic<int> running {0};
    std::atomic<qint64> completed {0};
    std::atomic<qint64> failed {0};
    std::atomic<qint64> timedOut {0};
    std::atomic<qint64> canceled {0};
    alignas(64) std::atomic<bool> active {false}; // and the submit queue's mutex after it

    static void bump(std::atomic<qint64> &c) noexcept
    {
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    qint64 ended() const noexcept
    {
        return completed.load(std::memory_order_relaxed) + failed.load(std::memory_order_relaxed)
            + timedOut.load(std::memory_order_relaxed) + canceled.load(std::memory_order_relaxed);
    }
    // Tasks accepted and neither running nor ended: queued for the engine or in its buffer.
    qint64 pending() const noexcept
    {
        const qint64 done = ended() + running.load(std::memory_order_relaxed);
        const qint64 n = submitted.load(std::memory_order_relaxed) - done;
        return n > 0 ? n : 0;
    }
};

// Where submissions from any thread wait for the engine. One lock, taken once per submission;
// the engine is woken by one posted event when the queue goes from idle to busy, then drains
// everything in batches. Persists across restarts (it belongs to the pool, not to a run).
struct SubmitQueue
{
    QMutex mutex;
    // A blocking run() waiting under maxPending. condition_variable_any, not QWaitCondition:
    // its wait() unlocks and relocks `mutex` through QMutex's inline, ThreadSanitizer-annotated
    // functions, while QWaitCondition does so inside Qt, where TSan cannot see it.
    std::condition_variable_any roomAvailable;
    TaskList list;
    Engine *target = nullptr; // the engine draining it; null while starting or stopping
    quint64 generation = 0; // incremented by each start()
    bool accepting = false;
    bool wakePending = false;
    std::atomic<int> roomWaiters {0};
};

// The engine's mailbox for one run: inner futures' completions, calls from other threads
// (context futures), and the stop request. Shared with the continuations that post to it, so it
// outlives the engine; once closed, posts are dropped (a completion just releases its node).
class Inbox
{
public:
    using Call = std::function<void(Engine &)>;

    struct Batch
    {
        TaskNode *completions = nullptr; // linked through next, any order
        std::vector<Call> calls;
        bool stopRequested = false;
        TaskList stopBatch;
        qint64 graceDeadline = -1;
    };

    bool postCall(Call call);
    // The grace deadline of a requested stop (monotonicNowNs()), -1 if none: readable at once
    // from the engine, before it took the stop request itself.
    qint64 graceDeadline() const noexcept
    {
        return m_graceDeadline.load(std::memory_order_relaxed);
    }
    void postCompletion(TaskNode *node) noexcept;
    // False if the run has already ended; the caller keeps `batch` then.
    bool requestStop(TaskList &batch, qint64 graceDeadline);

    // Engine side (pool thread).
    void attach(Engine *engine);
    void take(Batch &out);
    bool tryIdle(); // true (and no wake pending) when nothing is left
    Batch close();

private:
    void wakeLocked();

    QBasicMutex m_mutex;
    Engine *m_target = nullptr;
    bool m_closed = false;
    bool m_wakePending = false;
    Batch m_batch;
    std::atomic<qint64> m_graceDeadline {-1};
};

struct Context
{
    std::function<QFuture<void>()> enter;
    std::function<QFuture<void>()> exit;
};

class PoolThread;

// Everything a pool is, shared by its front-end and the thread of its current run (which may
// outlive the front-end when a pool is destroyed from its own thread).
class PoolCore
{
public:
    explicit PoolCore(const PoolOptions &options);
    ~PoolCore();

    const PoolOptions options;
    const qint64 timeoutNs;
    Counters counters;
    SubmitQueue queue;

    // Thread-safe; the engine calls it after activity. At most one status update is queued.
    void publishStatus();
    // The owner's started()/stopped(), queued to the owner's thread.
    enum class OwnerEvent { Started, Stopped };
    void notifyOwner(OwnerEvent event);

    // Observers living in the owner's thread; guarded by observerMutex. The front-end clears
    // them before it dies.
    QMutex observerMutex;
    QObject *statusObject = nullptr;
    std::atomic<bool> statusUpdatePending {false};
    QObject *owner = nullptr;
    std::function<void(OwnerEvent)> ownerCallback; // runs in the owner's thread

    // The front-end's per-task signals (taskCompleted() and friends). Engine::account() reads
    // taskSignalState with one relaxed load per task and calls notifyTaskEnded() only when
    // TaskSignalsOn is set, so they cost nothing while nobody listens. connectNotify() sets it;
    // disconnectNotify() (which may not call isSignalConnected()) only asks for a recheck, done
    // on the pool thread. The epoch counts connects, so a recheck never clears a newer one.
    static constexpr quint32 TaskSignalsOn = 1;
    static constexpr quint32 TaskSignalsRecheck = 2;
    static constexpr quint32 TaskSignalsEpoch = 4;
    std::atomic<quint32> taskSignalState {0};
    void taskSignalConnected() noexcept; // any thread
    void taskSignalDisconnected() noexcept; // any thread
    void notifyTaskEnded(TaskNode *node, TaskNode::Outcome outcome); // pool thread
    // Set by the front-end before the first start and never changed; used only while `owner`
    // is set (the front-end clears it, then joins the pool thread, before it dies).
    std::function<bool()> hasTaskReceivers;
    std::function<void(TaskNode::Outcome, const QString &)> emitTaskEnded;

    // Lifecycle, guarded by lifecycleMutex (never held while waiting for a thread).
    QMutex lifecycleMutex;
    std::vector<Context> contexts;
    std::shared_ptr<PoolThread> thread; // the current or last run
    std::vector<std::shared_ptr<PoolThread>> retired; // earlier runs, possibly still draining
};

// Creates a run's thread, owned through shared_ptr: whoever drops the last reference deletes it
// after it finished (or, from its own thread, later through deleteLater()).
std::shared_ptr<PoolThread> createPoolThread(std::shared_ptr<PoolCore> core,
                                             std::shared_ptr<PoolThread> previous,
                                             std::vector<Context> contexts, quint64 generation);

// The QThread of one run. Its run() joins the previous run's thread (a restart begun while a
// stop was still draining), then creates the engine and runs the event loop.
class PoolThread final : public QThread
{
public:
    PoolThread(std::shared_ptr<PoolCore> core, std::shared_ptr<PoolThread> previous,
               std::vector<Context> contexts, quint64 generation);
    ~PoolThread() override;

    PoolCore &core() const { return *m_core; }
    const std::shared_ptr<Inbox> &inbox() const { return m_inbox; }
    const std::vector<Context> &contexts() const { return m_contexts; }
    quint64 generation() const { return m_generation; }
    // Owner side: once this run has joined the previous one, the link is dropped so that the
    // chain of finished threads does not grow with restarts.
    void releasePreviousIfJoined();
    // wait(), then acquires what run() wrote (see m_runEnded). Not from this thread itself.
    void join();

    // Finished (on the pool thread) once contexts are entered, or with the error that stopped
    // the start.
    QFutureInterface<void> startResult;
    // Finished once the run ended: contexts exited (with an exit's error, if one threw).
    QFutureInterface<void> stopResult;

protected:
    void run() override;

private:
    std::shared_ptr<PoolCore> m_core; // released when run() ends
    std::shared_ptr<Inbox> m_inbox;
    std::shared_ptr<PoolThread> m_previous;
    std::atomic<bool> m_previousJoined {false};
    std::atomic<bool> m_runEnded {false}; // set last in run(): a join ThreadSanitizer can see
    const std::vector<Context> m_contexts; // this run's snapshot
    const quint64 m_generation;
};

} // namespace TaskTools::Detail

#endif // TASKTOOLS_POOLCORE_P_H
