// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_ENGINE_P_H
#define TASKTOOLS_ENGINE_P_H

//
//  W A R N I N G: private header, not part of the TaskTools API.
//

#include "deadlinequeue_p.h"
#include "poolcore_p.h"

#include <QtCore/qbasictimer.h>
#include <QtCore/qcoreevent.h>
#include <QtCore/qobject.h>

#include <exception>
#include <vector>

namespace TaskTools::Detail {

// The scheduler of one run of a pool, living on the pool thread and touched only there.
// It owns the FIFO buffer, the set of running asynchronous tasks, the deadline heap and the
// pool's three timers (timeouts, cancel sweep, stop grace). Other threads reach it only through
// the SubmitQueue and its Inbox, each of which wakes it with one posted event when it goes from
// idle to busy. It never blocks.
class Engine final : public QObject
{
public:
    explicit Engine(PoolThread &thread);
    ~Engine() override;

    // Posts the startup event: contexts are entered once the loop runs.
    void begin();
    // After the loop ended: drops what the inbox still held.
    void dropLeftovers(Inbox::Batch &leftovers);

    std::exception_ptr startError() const { return m_startError; }
    std::exception_ptr exitError() const { return m_exitError; }
    bool hasStarted() const { return m_state != State::Starting && !m_startError; }

    static QEvent::Type wakeEventType();

    // The cancel sweep's period: how soon a caller's cancel() reaches a running task.
    static constexpr int SweepIntervalMs = 20;
    // How long one drain may run tasks before it yields to the event loop (timers, sockets).
    static constexpr qint64 SliceNs = 5'000'000;
    // How long a drain that emptied the queues waits for more submissions before it sleeps.
    static constexpr qint64 LingerNs = 20'000;
    // Once submissions come in while it lingers, the engine gathers a batch before it takes them:
    // until GatherTasks arrived, none for GatherGapNs, GatherMaxNs passed, or a blocking run()
    // submitted (its caller waits: taken at once).
    static constexpr qint64 GatherTasks = 32;
    static constexpr qint64 GatherGapNs = 500;
    static constexpr qint64 GatherMaxNs = 4'000;
    // While lingering: pauses between two reads of the submission counter (a pause is ~25 ns
    // on the machines measured), and how often it lets a thread sharing its core run (with the
    // pool and a blocking run()'s caller on one CPU, a round trip took 5.4 us yielding every
    // ~0.9 us, 6.0 every 1 us, 5.5 every 0.5 us; more often slowed two CPUs down).
    static constexpr int PausesPerPoll = 8;
    static constexpr qint64 YieldIntervalNs = 500;

protected:
    bool event(QEvent *event) override;
    void timerEvent(QTimerEvent *event) override;

private:
    enum class State { Starting, Running, Exiting, Done };

    void drain();
    bool admit(); // false when the time slice ran out with startable tasks left
    bool lingerForSubmissions();
    void startTask(TaskNode *node);
    void onInnerFinished(TaskNode *node);
    void endRunning(TaskNode *node, TaskNode::Outcome outcome);
    void account(TaskNode *node, TaskNode::Outcome outcome);
    void drop(TaskNode *node);
    void dropAll(TaskList &list);
    void afterActivity();

    void armTimeout(qint64 deadline);
    void expireTimeouts();
    void sweep();
    void expireGrace();

    void handleStop(TaskList &batch, qint64 graceDeadline);
    void maybeFinishStop();

    // Contexts.
    void enterContexts();
    void startupSucceeded();
    void startupFailed(std::exception_ptr error);
    void exitContexts();
    void watchContextFuture(const QFuture<void> &future, void (Engine::*handler)(QFuture<void>));
    void onEnterFinished(QFuture<void> future);
    void onExitFinished(QFuture<void> future);
    std::exception_ptr contextError(const QFuture<void> &future, const char *what) const;

    void postWake();
    bool ownsSubmitQueue();

    PoolThread &m_thread;
    PoolCore &m_core;
    std::shared_ptr<Inbox> m_inbox;
    std::vector<Context> m_contexts; // this run's snapshot
    const int m_size;
    const qint64 m_timeoutNs;

    State m_state = State::Starting;
    bool m_attached = false; // draining the SubmitQueue
    bool m_stopRequested = false;
    bool m_graceExpired = false;
    bool m_draining = false; // re-entrancy guard (a task that spins a nested event loop)
    bool m_dirty = false; // counters changed since the last status publication
    qint64 m_sliceStart = 0;
    qint64 m_seenSubmitted = 0; // counters.submitted when the submit queue was last taken

    TaskList m_buffer; // accepted, waiting for a free slot, FIFO
    std::vector<TaskNode *> m_running; // running asynchronous tasks
    DeadlineQueue<TaskNode> m_deadlines; // one timeout per pool: deadlines arrive sorted
    QBasicTimer m_timeoutTimer;
    qint64 m_armedDeadline = 0;
    qint64 m_expireBefore = -1; // expireTimeouts()' second step is due: expire up to this time
    QBasicTimer m_sweepTimer;
    QBasicTimer m_graceTimer;

    std::size_t m_entered = 0; // contexts entered
    std::exception_ptr m_startError;
    std::exception_ptr m_exitError;
};

} // namespace TaskTools::Detail

#endif // TASKTOOLS_ENGINE_P_H
