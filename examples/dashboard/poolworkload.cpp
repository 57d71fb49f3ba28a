// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include "poolworkload.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QPromise>
#include <QtCore/QRandomGenerator>
#include <QtCore/QTime>
#include <QtCore/QVariantMap>

#include <cmath>
#include <memory>
#include <stdexcept>

using namespace TaskTools;

namespace {

constexpr int GeneratorTickMs = 20;

// A failure a task reports, as a real one would: an exception.
struct SimulatedError : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

// Synchronous work: burns the CPU for about `ms` (what an image decoder or a parser does).
void compute(int ms)
{
    QElapsedTimer timer;
    timer.start();
    volatile double sink = 0;
    while (timer.elapsed() < ms) {
        for (int i = 1; i < 2000; ++i)
            sink = sink + std::sqrt(double(i));
    }
}

} // namespace

PoolWorkload::PoolWorkload(Profile profile, QObject *parent)
    : QObject(parent), m_profile(std::move(profile)), m_pool(m_profile.options)
{
    // Simulated I/O needs timers on the pool thread; a context creates their parent once the
    // pool's loop runs and deletes it (and any timer still pending) before the thread ends.
    m_pool.addContext([this] { m_timerHost = new QObject; },
                      [this] {
                          delete m_timerHost;
                          m_timerHost = nullptr;
                      });

    connect(&m_pool, &AsyncThreadedTaskPool::started, this, [this] { setState(State::Running); });
    connect(&m_pool, &AsyncThreadedTaskPool::stopped, this, [this] { setState(State::Stopped); });
    // Per-task signals, queued to this (GUI) thread. Failures and timeouts are rare enough to
    // list; taskCompleted() is left unconnected, so it costs the pool nothing.
    connect(&m_pool, &AsyncThreadedTaskPool::taskFailed, this,
            [this](const QString &message) { note(QStringLiteral("failed"), message); });
    connect(&m_pool, &AsyncThreadedTaskPool::taskTimedOut, this, [this] {
        note(QStringLiteral("timedOut"), tr("no answer within %1 ms").arg(timeoutMs()));
    });

    m_generator.setInterval(GeneratorTickMs);
    connect(&m_generator, &QTimer::timeout, this, &PoolWorkload::generate);
}

PoolWorkload::~PoolWorkload()
{
    m_generator.stop();
    // The pool's destructor drains what is left; the simulated tasks all end by themselves.
}

void PoolWorkload::setRate(double rate)
{
    rate = qBound(0.0, rate, 10000.0);
    if (qFuzzyCompare(rate, m_profile.rate))
        return;
    m_profile.rate = rate;
    Q_EMIT rateChanged();
}

void PoolWorkload::start()
{
    if (m_state != State::Stopped)
        return; // a stop still drains; the button comes back once it is done
    setState(State::Starting);
    (void)m_pool.start(); // started() follows
    m_owed = 0;
    m_generator.start();
}

void PoolWorkload::stop()
{
    if (m_state != State::Running && m_state != State::Starting)
        return;
    m_generator.stop();
    setState(State::Stopping);
    (void)m_pool.stop(); // drains; stopped() follows
}

void PoolWorkload::addLoad(int count)
{
    if (!m_pool.isRunning())
        return;
    for (int i = 0; i < count; ++i)
        submitOne();
}

void PoolWorkload::generate()
{
    m_owed += m_profile.rate * GeneratorTickMs / 1000.0;
    // A little jitter, so that the sparklines look like traffic rather than a metronome.
    const double jitter = 0.5 + QRandomGenerator::global()->generateDouble();
    int due = int(m_owed * jitter);
    m_owed -= due / jitter;
    while (due-- > 0 && m_pool.isRunning())
        submitOne();
}

void PoolWorkload::submitOne()
{
    QRandomGenerator *random = QRandomGenerator::global();
    const int ms = m_profile.minMs + int(random->bounded(m_profile.maxMs - m_profile.minMs + 1));
    const bool fails = random->generateDouble() < m_profile.failureRatio;
    const QString message = m_profile.failureMessage;

    if (m_profile.asynchronous) {
        (void)m_pool.createTask([this, ms, fails, message]() -> QFuture<void> {
            // Runs on the pool thread: a timer stands for a request in flight.
            auto promise = std::make_shared<QPromise<void>>();
            promise->start();
            auto *timer = new QTimer(m_timerHost);
            timer->setSingleShot(true);
            connect(timer, &QTimer::timeout, timer, [promise, fails, message, timer] {
                if (fails)
                    promise->setException(
                        std::make_exception_ptr(SimulatedError(message.toStdString())));
                promise->finish();
                timer->deleteLater();
            });
            timer->start(ms);
            return promise->future();
        });
    } else {
        (void)m_pool.createTask([ms, fails, message] {
            compute(ms);
            if (fails)
                throw SimulatedError(message.toStdString());
        });
    }
}

void PoolWorkload::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged();
}

void PoolWorkload::note(const QString &kind, const QString &text)
{
    constexpr int Kept = 8;
    m_events.prepend(QVariantMap {
        {QStringLiteral("time"), QTime::currentTime().toString(QStringLiteral("HH:mm:ss.zzz"))},
        {QStringLiteral("kind"), kind},
        {QStringLiteral("text"), text}});
    if (m_events.size() > Kept)
        m_events.removeLast();
    Q_EMIT eventsChanged();
}
