// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_POOLSTATUS_H
#define TASKTOOLS_POOLSTATUS_H

#include <tasktools/tasktools_global.h>

#include <QtCore/qobject.h>
#include <QtCore/qstring.h>

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
// coalesced: the pool queues at most one update at a time, and that update reads the latest
// values, so observing costs the pool almost nothing and a binding always settles on the final
// values. Once the pool has stopped, submitted == completed + failed + timedOut + canceled and
// pending == running == 0.
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

public:
    ~PoolStatus() override;

    QString name() const;
    bool isActive() const;   // the pool is running (false from the moment stop begins)
    int size() const;        // the concurrency limit; 0 = unlimited
    int pending() const;     // tasks waiting to start
    int running() const;     // tasks running now
    qint64 submitted() const; // tasks accepted since the pool was constructed
    qint64 completed() const; // finished with a result
    qint64 failed() const;    // finished with an exception other than a timeout
    qint64 timedOut() const;  // ended by the timeout
    qint64 canceled() const;  // canceled by their caller, or by a stop that gave up waiting
    qint64 rejected() const;  // submissions refused with PoolFullError (not counted as submitted)

Q_SIGNALS:
    void nameChanged(const QString &name); // never emitted: a pool's name is fixed
    void activeChanged(bool active);
    void sizeChanged(int size);            // never emitted: a pool's size is fixed
    void pendingChanged(int pending);
    void runningChanged(int running);
    void submittedChanged(qint64 submitted);
    void completedChanged(qint64 completed);
    void failedChanged(qint64 failed);
    void timedOutChanged(qint64 timedOut);
    void canceledChanged(qint64 canceled);
    void rejectedChanged(qint64 rejected);

protected:
    bool event(QEvent *event) override;

private:
    friend class Detail::PoolHandle;
    PoolStatus(Detail::PoolCore *core, QObject *parent);
    void update();

    Detail::PoolCore *m_core;
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
};

} // namespace TaskTools

#endif // TASKTOOLS_POOLSTATUS_H
