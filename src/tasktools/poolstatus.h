// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_POOLSTATUS_H
#define TASKTOOLS_POOLSTATUS_H

#include <tasktools/tasktools_global.h>

#include <QtCore/qbasictimer.h>
#include <QtCore/qobject.h>
#include <QtCore/qstring.h>

#include <atomic>

namespace TaskTools {

namespace Detail {
class PoolCore;
class PoolHandle;
} // namespace Detail

// A live view of one pool's counters, for a UI (QML binds to it) or a log.
//
// Owned by its pool (a child QObject of it) and living in the pool owner's thread; never create
// or delete one yourself. Every getter may be called from any thread: it reads the pool's
// atomic counters directly. The NOTIFY signals are emitted in the status object's thread,
// coalesced: the pool queues at most one update at a time, that update reads the latest values,
// and updates come at most about once per frame (MinUpdateIntervalMs) while the pool is busy.
// So observing costs the pool thread one flag exchange per batch of work, and a binding always
// settles on the final values. Once the pool has stopped, submitted == completed + failed +
// timedOut + canceled and pending == running == 0.
//
// Two derived values suit a UI: `load`, how close the pool is to its concurrency limit, and
// `throughput`, the tasks that ended per second. Both are computed in the status object's
// thread; the pool thread does nothing for them.
class TASKTOOLS_EXPORT PoolStatus : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString name READ name NOTIFY nameChanged)
    Q_PROPERTY(bool active READ isActive NOTIFY activeChanged)
    Q_PROPERTY(int size READ size NOTIFY sizeChanged)
    Q_PROPERTY(int pending READ pending NOTIFY pendingChanged)
    Q_PROPERTY(int running READ running NOTIFY runningChanged)
    Q_PROPERTY(qint64 submitted READ submitted NOTIFY submittedChanged)
    Q_PROPERTY(qint64 completed READ completed NOTIFY completedChanged)
    Q_PROPERTY(qint64 failed READ failed NOTIFY failedChanged)
    Q_PROPERTY(qint64 timedOut READ timedOut NOTIFY timedOutChanged)
    Q_PROPERTY(qint64 canceled READ canceled NOTIFY canceledChanged)
    Q_PROPERTY(qint64 rejected READ rejected NOTIFY rejectedChanged)
    Q_PROPERTY(double load READ load NOTIFY loadChanged)
    Q_PROPERTY(double throughput READ throughput NOTIFY throughputChanged)

public:
    // The shortest time between two NOTIFY rounds while the pool is busy.
    static constexpr int MinUpdateIntervalMs = 16;
    // How often throughput is sampled, and over how long it is averaged.
    static constexpr int ThroughputSampleMs = 250;
    static constexpr int ThroughputWindowMs = 1000;

    ~PoolStatus() override;

    QString name() const;
    bool isActive() const; // the pool is running (false from the moment stop begins)
    int size() const; // the concurrency limit; 0 = unlimited
    int pending() const; // tasks waiting to start
    int running() const; // tasks running now
    qint64 submitted() const; // tasks accepted since the pool was constructed
    qint64 completed() const; // finished with a result
    qint64 failed() const; // finished with an exception other than a timeout
    qint64 timedOut() const; // ended by the timeout
    qint64 canceled() const; // canceled by their caller, or by a stop that gave up waiting
    qint64 rejected() const; // submissions refused with PoolFullError (not counted as submitted)

    // running / size, from 0 (idle) to 1 (every slot taken: new tasks wait in the buffer). An
    // unlimited pool (size 0) has no slots to fill: its load is 1 while any task runs, else 0.
    double load() const;
    // Tasks that ended (completed, failed, timed out or canceled) per second, averaged over the
    // last ThroughputWindowMs. Sampled every ThroughputSampleMs by a timer in the status object's
    // thread (so it needs that thread's event loop) while the pool runs, and until the value has
    // fallen back to 0 after a stop; 0 before the first sample.
    double throughput() const;

Q_SIGNALS:
    void nameChanged(const QString &name); // never emitted: a pool's name is fixed
    void activeChanged(bool active);
    void sizeChanged(int size); // never emitted: a pool's size is fixed
    void pendingChanged(int pending);
    void runningChanged(int running);
    void submittedChanged(qint64 submitted);
    void completedChanged(qint64 completed);
    void failedChanged(qint64 failed);
    void timedOutChanged(qint64 timedOut);
    void canceledChanged(qint64 canceled);
    void rejectedChanged(qint64 rejected);
    void loadChanged(double load);
    void throughputChanged(double throughput);

protected:
    bool event(QEvent *event) override;
    void timerEvent(QTimerEvent *event) override;

private:
    friend class Detail::PoolHandle;
    PoolStatus(Detail::PoolCore *core, QObject *parent);
    // One bit per non-constant property but throughput, for m_readAhead.
    enum Field : quint32 {
        ActiveField = 1 << 0,
        PendingField = 1 << 1,
        RunningField = 1 << 2,
        SubmittedField = 1 << 3,
        CompletedField = 1 << 4,
        FailedField = 1 << 5,
        TimedOutField = 1 << 6,
        CanceledField = 1 << 7,
        RejectedField = 1 << 8,
        LoadField = 1 << 9,
    };
    // The live values, from the pool's atomics.
    struct Snapshot
    {
        bool active;
        int pending;
        int running;
        qint64 submitted;
        qint64 completed;
        qint64 failed;
        qint64 timedOut;
        qint64 canceled;
        qint64 rejected;
        double load;
    };
    Snapshot snapshot() const;
    template<typename T>
    T seen(T live, const T &notified, Field field) const;

    void update();
    void sampleThroughput();
    void updateSampler();

    Detail::PoolCore *m_core;
    // Owner thread only: fields that a getter returned with a value not notified yet. A binding
    // may hold that value; the next round notifies these fields even if their value has come
    // back to the one notified before (running 0 -> 3 -> 0 between two rounds).
    mutable quint32 m_readAhead = 0;
    // The values last notified, owner thread only.
    bool m_active = false;
    int m_pending = 0;
    int m_running = 0;
    qint64 m_submitted = 0;
    qint64 m_completed = 0;
    qint64 m_failed = 0;
    qint64 m_timedOut = 0;
    qint64 m_canceled = 0;
    qint64 m_rejected = 0;
    double m_load = 0;

    // Throttles NOTIFY rounds: while it runs, updates wait for it (see event()).
    QBasicTimer m_throttle;

    // Throughput: the ended count at the last samples (oldest first), ring buffer.
    struct Sample
    {
        qint64 timeNs;
        qint64 ended;
    };
    static constexpr int SampleCount = ThroughputWindowMs / ThroughputSampleMs + 1;
    QBasicTimer m_sampler;
    Sample m_samples[SampleCount] = {};
    int m_sampleHead = 0; // where the next sample goes
    int m_sampleSize = 0;
    std::atomic<double> m_throughput {0.0}; // written in the owner thread, read anywhere
};

} // namespace TaskTools

#endif // TASKTOOLS_POOLSTATUS_H
