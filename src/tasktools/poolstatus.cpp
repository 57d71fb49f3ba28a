// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "poolstatus.h"

#include "poolcore_p.h"

#include <QtCore/qcoreevent.h>
#include <QtCore/qthread.h>

#include <limits>
#include <utility>

namespace TaskTools {

namespace Detail {
QEvent::Type statusUpdateEventType();
}

using Detail::PoolCore;

PoolStatus::PoolStatus(PoolCore *core, QObject *parent) : QObject(parent), m_core(core)
{
    setObjectName(core->options.name + QStringLiteral(" status"));
}

PoolStatus::~PoolStatus() = default;

QString PoolStatus::name() const
{
    return m_core->options.name;
}

// A getter returns the live value. Called in the status object's thread (by a binding, say)
// with a value the NOTIFY signal has not carried yet, it marks the field for the next round.
template<typename T>
T PoolStatus::seen(T live, const T &notified, Field field) const
{
    if (QThread::currentThread() == thread() && live != notified)
        m_readAhead |= field;
    return live;
}

PoolStatus::Snapshot PoolStatus::snapshot() const
{
    const Detail::Counters &c = m_core->counters;
    Snapshot s;
    // Ended counters first, then running, then submitted: pending never goes negative.
    s.completed = c.completed.load(std::memory_order_relaxed);
    s.failed = c.failed.load(std::memory_order_relaxed);
    s.timedOut = c.timedOut.load(std::memory_order_relaxed);
    s.canceled = c.canceled.load(std::memory_order_relaxed);
    s.running = c.running.load(std::memory_order_relaxed);
    s.submitted = c.submitted.load(std::memory_order_relaxed);
    const qint64 ended = s.completed + s.failed + s.timedOut + s.canceled;
    s.pending = int(qBound<qint64>(0, s.submitted - ended - s.running,
                                   qint64(std::numeric_limits<int>::max())));
    s.rejected = c.rejected.load(std::memory_order_relaxed);
    s.active = c.active.load(std::memory_order_relaxed);
    const int limit = m_core->options.size;
    if (limit == 0)
        s.load = s.running > 0 ? 1.0 : 0.0;
    else
        s.load = qMin(1.0, double(s.running) / double(limit));
    return s;
}

bool PoolStatus::isActive() const
{
    return seen(m_core->counters.active.load(std::memory_order_relaxed), m_active, ActiveField);
}

int PoolStatus::size() const
{
    return m_core->options.size;
}

int PoolStatus::pending() const
{
    return seen(snapshot().pending, m_pending, PendingField);
}

int PoolStatus::running() const
{
    return seen(m_core->counters.running.load(std::memory_order_relaxed), m_running, RunningField);
}

qint64 PoolStatus::submitted() const
{
    return seen(m_core->counters.submitted.load(std::memory_order_relaxed), m_submitted,
                SubmittedField);
}

qint64 PoolStatus::completed() const
{
    return seen(m_core->counters.completed.load(std::memory_order_relaxed), m_completed,
                CompletedField);
}

qint64 PoolStatus::failed() const
{
    return seen(m_core->counters.failed.load(std::memory_order_relaxed), m_failed, FailedField);
}

qint64 PoolStatus::timedOut() const
{
    return seen(m_core->counters.timedOut.load(std::memory_order_relaxed), m_timedOut,
                TimedOutField);
}

qint64 PoolStatus::canceled() const
{
    return seen(m_core->counters.canceled.load(std::memory_order_relaxed), m_canceled,
                CanceledField);
}

qint64 PoolStatus::rejected() const
{
    return seen(m_core->counters.rejected.load(std::memory_order_relaxed), m_rejected,
                RejectedField);
}

double PoolStatus::load() const
{
    return seen(snapshot().load, m_load, LoadField);
}

double PoolStatus::throughput() const
{
    return m_throughput.load(std::memory_order_relaxed);
}

// Coalescing. PoolCore::publishStatus() posts an update only when statusUpdatePending was
// false and sets it: it stays set until this object has read the counters. Clearing it with an
// exchange (acquire) before reading pairs with the pool's exchange (release) after writing, so
// the pool either sees it cleared and posts again, or this read sees its writes: the last
// change is always notified. Once a round is done, m_throttle keeps the flag set for
// MinUpdateIntervalMs, so a busy pool posts nothing meanwhile; when it fires, one more round
// runs if the pool asked for one, otherwise the status goes idle.
bool PoolStatus::event(QEvent *event)
{
    if (event->type() == Detail::statusUpdateEventType()) {
        if (!m_throttle.isActive()) {
            m_core->statusUpdatePending.exchange(false, std::memory_order_acq_rel);
            update();
            m_throttle.start(MinUpdateIntervalMs, Qt::CoarseTimer, this);
        }
        // else: posted just before the throttle took over; the throttle's round covers it.
        return true;
    }
    return QObject::event(event);
}

void PoolStatus::timerEvent(QTimerEvent *event)
{
    if (event->timerId() == m_throttle.timerId()) {
        m_throttle.stop();
        if (m_core->statusUpdatePending.exchange(false, std::memory_order_acq_rel)) {
            update();
            m_throttle.start(MinUpdateIntervalMs, Qt::CoarseTimer, this);
        }
    } else if (event->timerId() == m_sampler.timerId()) {
        sampleThroughput();
    } else {
        QObject::timerEvent(event);
    }
}

void PoolStatus::update()
{
    // Taken before reading: a getter called while the signals below are emitted marks fields
    // for the next round (there is one: what it saw changed after this snapshot).
    const quint32 readAhead = std::exchange(m_readAhead, 0);
    const Snapshot now = snapshot();

    auto change = [this, readAhead](auto &cached, auto value, Field field, auto signal) {
        if (cached == value && !(readAhead & field))
            return;
        cached = value;
        Q_EMIT(this->*signal)(value);
    };
    change(m_submitted, now.submitted, SubmittedField, &PoolStatus::submittedChanged);
    change(m_pending, now.pending, PendingField, &PoolStatus::pendingChanged);
    change(m_running, now.running, RunningField, &PoolStatus::runningChanged);
    change(m_load, now.load, LoadField, &PoolStatus::loadChanged);
    change(m_completed, now.completed, CompletedField, &PoolStatus::completedChanged);
    change(m_failed, now.failed, FailedField, &PoolStatus::failedChanged);
    change(m_timedOut, now.timedOut, TimedOutField, &PoolStatus::timedOutChanged);
    change(m_canceled, now.canceled, CanceledField, &PoolStatus::canceledChanged);
    change(m_rejected, now.rejected, RejectedField, &PoolStatus::rejectedChanged);
    change(m_active, now.active, ActiveField, &PoolStatus::activeChanged);
    updateSampler();
}

// Runs the sampler while the pool runs, and after a stop until throughput has dropped to 0.
void PoolStatus::updateSampler()
{
    const bool wanted = m_active || m_throughput.load(std::memory_order_relaxed) != 0.0;
    if (wanted && !m_sampler.isActive()) {
        m_sampleHead = 0;
        m_sampleSize = 0;
        sampleThroughput(); // the first sample: the base of the next one's rate
        m_sampler.start(ThroughputSampleMs, Qt::CoarseTimer, this);
    } else if (!wanted && m_sampler.isActive()) {
        m_sampler.stop();
    }
}

void PoolStatus::sampleThroughput()
{
    const Sample now {Detail::monotonicNowNs(), m_core->counters.ended()};
    m_samples[m_sampleHead] = now;
    m_sampleHead = (m_sampleHead + 1) % SampleCount;
    m_sampleSize = qMin(m_sampleSize + 1, SampleCount);

    double rate = 0.0;
    if (m_sampleSize > 1) {
        const int oldestIndex = (m_sampleHead - m_sampleSize + SampleCount) % SampleCount;
        const Sample &oldest = m_samples[oldestIndex];
        if (now.timeNs > oldest.timeNs)
            rate = double(now.ended - oldest.ended) * 1e9 / double(now.timeNs - oldest.timeNs);
    }
    if (rate != m_throughput.load(std::memory_order_relaxed)) {
        m_throughput.store(rate, std::memory_order_relaxed);
        Q_EMIT throughputChanged(rate);
    }
    if (!m_active && rate == 0.0 && m_sampleSize > 1)
        m_sampler.stop(); // stopped and settled; update() restarts it with the pool
}

} // namespace TaskTools
