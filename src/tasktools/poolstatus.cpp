// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "poolstatus.h"

#include "poolcore_p.h"

#include <QtCore/qcoreevent.h>

#include <limits>

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

bool PoolStatus::isActive() const
{
    return m_core->counters.active.load(std::memory_order_relaxed);
}

int PoolStatus::size() const
{
    return m_core->options.size;
}

int PoolStatus::pending() const
{
    return int(qMin<qint64>(m_core->counters.pending(), std::numeric_limits<int>::max()));
}

int PoolStatus::running() const
{
    return m_core->counters.running.load(std::memory_order_relaxed);
}

qint64 PoolStatus::submitted() const
{
    return m_core->counters.submitted.load(std::memory_order_relaxed);
}

qint64 PoolStatus::completed() const
{
    return m_core->counters.completed.load(std::memory_order_relaxed);
}

qint64 PoolStatus::failed() const
{
    return m_core->counters.failed.load(std::memory_order_relaxed);
}

qint64 PoolStatus::timedOut() const
{
    return m_core->counters.timedOut.load(std::memory_order_relaxed);
}

qint64 PoolStatus::canceled() const
{
    return m_core->counters.canceled.load(std::memory_order_relaxed);
}

qint64 PoolStatus::rejected() const
{
    return m_core->counters.rejected.load(std::memory_order_relaxed);
}

double PoolStatus::load() const
{
    const int runningNow = running();
    const int limit = size();
    if (limit == 0)
        return runningNow > 0 ? 1.0 : 0.0;
    return qMin(1.0, double(runningNow) / double(limit));
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
    // Ended counters first, then running, then submitted: pending() never goes negative.
    const qint64 completedNow = completed();
    const qint64 failedNow = failed();
    const qint64 timedOutNow = timedOut();
    const qint64 canceledNow = canceled();
    const int runningNow = running();
    const int pendingNow = pending();
    const qint64 submittedNow = submitted();
    const qint64 rejectedNow = rejected();
    const bool activeNow = isActive();
    const double loadNow = load();

    auto change = [this](auto &cached, auto value, auto signal) {
        if (cached == value)
            return;
        cached = value;
        Q_EMIT(this->*signal)(value);
    };
    change(m_submitted, submittedNow, &PoolStatus::submittedChanged);
    change(m_pending, pendingNow, &PoolStatus::pendingChanged);
    change(m_running, runningNow, &PoolStatus::runningChanged);
    change(m_load, loadNow, &PoolStatus::loadChanged);
    change(m_completed, completedNow, &PoolStatus::completedChanged);
    change(m_failed, failedNow, &PoolStatus::failedChanged);
    change(m_timedOut, timedOutNow, &PoolStatus::timedOutChanged);
    change(m_canceled, canceledNow, &PoolStatus::canceledChanged);
    change(m_rejected, rejectedNow, &PoolStatus::rejectedChanged);
    change(m_active, activeNow, &PoolStatus::activeChanged);
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
