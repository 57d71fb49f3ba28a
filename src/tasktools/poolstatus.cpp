// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "poolstatus.h"

#include "poolcore_p.h"

#include <QtCore/qcoreevent.h>

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

bool PoolStatus::event(QEvent *event)
{
    if (event->type() == Detail::statusUpdateEventType()) {
        // Cleared before reading: a change after this point queues the next update.
        m_core->statusUpdatePending.store(false, std::memory_order_release);
        update();
        return true;
    }
    return QObject::event(event);
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

    auto change = [this](auto &cached, auto value, auto signal) {
        if (cached == value)
            return;
        cached = value;
        Q_EMIT(this->*signal)(value);
    };
    change(m_submitted, submittedNow, &PoolStatus::submittedChanged);
    change(m_pending, pendingNow, &PoolStatus::pendingChanged);
    change(m_running, runningNow, &PoolStatus::runningChanged);
    change(m_completed, completedNow, &PoolStatus::completedChanged);
    change(m_failed, failedNow, &PoolStatus::failedChanged);
    change(m_timedOut, timedOutNow, &PoolStatus::timedOutChanged);
    change(m_canceled, canceledNow, &PoolStatus::canceledChanged);
    change(m_rejected, rejectedNow, &PoolStatus::rejectedChanged);
    change(m_active, activeNow, &PoolStatus::activeChanged);
}

} // namespace TaskTools
