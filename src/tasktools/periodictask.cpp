// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "periodictask.h"

#include <QtCore/qcoreevent.h>
#include <QtCore/qpointer.h>

#include <limits>

namespace TaskTools {

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, Call call, QObject *parent, Tag)
    : BackgroundTaskBase(parent), m_interval(interval)
{
    if (m_interval.count() < 0)
        throw std::invalid_argument("TaskTools::PeriodicTask: the interval is negative");
    if (m_interval.count() > std::numeric_limits<int>::max())
        throw std::invalid_argument("TaskTools::PeriodicTask: the interval is too long");
    if (!call)
        throw std::invalid_argument("TaskTools::PeriodicTask: the function is empty");
    m_call = std::make_shared<const Call>(std::move(call));
}

PeriodicTask::~PeriodicTask()
{
    abandonRun();
}

QFuture<void> PeriodicTask::start()
{
    QFutureInterface<void> outer;
    outer.reportStarted();
    const quint64 run = beginRun(outer);
    if (run != 0) {
        m_run = run;
        call(run);
    }
    return outer.future();
}

QFuture<void> PeriodicTask::readyFuture()
{
    QFutureInterface<void> ready(QFutureInterfaceBase::State(QFutureInterfaceBase::Started
                                                             | QFutureInterfaceBase::Finished));
    return ready.future();
}

void PeriodicTask::call(quint64 run)
{
    m_callStarted.start();
    // The function may cancel the run, and a slot of cancel()'s signals delete the task: then
    // neither the task nor its members may be touched once the function returns.
    const QPointer<PeriodicTask> alive(this);
    const std::shared_ptr<const Call> function = m_call;
    QFuture<void> future;
    try {
        future = (*function)();
    } catch (...) {
        // Reported through the same path as a failed future, so that failed() is never emitted
        // from within start().
        QFutureInterface<void> failure;
        failure.reportStarted();
        failure.reportException(std::current_exception());
        failure.reportFinished();
        future = failure.future();
    }
    if (!alive) {
        future.cancel(); // the destructor abandoned the run
        return;
    }
    followInner(run, future);
}

// Canceled or not, the call is over.
void PeriodicTask::innerFinished(const QFutureInterfaceBase &)
{
    scheduleNext();
}

// The next call begins `interval` after the previous one began, or at once if that is past.
void PeriodicTask::scheduleNext()
{
    const qint64 remainingNs =
        std::chrono::nanoseconds(m_interval).count() - m_callStarted.nsecsElapsed();
    if (remainingNs <= 0) {
        call(m_run);
        return;
    }
    // Rounded up, and checked again when the timer fires (see timerEvent()): a call never
    // begins early, even when the timer's millisecond clock disagrees with QElapsedTimer's.
    const qint64 remainingMs = (remainingNs + 999'999) / 1'000'000;
    m_timer.start(static_cast<int>(remainingMs), Qt::PreciseTimer, this);
}

void PeriodicTask::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_timer.timerId()) {
        BackgroundTaskBase::timerEvent(event);
        return;
    }
    m_timer.stop();
    scheduleNext();
}

void PeriodicTask::runEnding()
{
    m_timer.stop();
    m_run = 0;
}

} // namespace TaskTools
