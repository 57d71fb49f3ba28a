// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// heartbeat: the seed's HeartBeat, written both ways.
//
// - HeartBeat is a BackgroundTask<int> whose function loops with a timer: it beats every
//   `--interval` ms and, after `--beats` beats, finishes with the number of beats. Canceling
//   the task cancels the function's future; the loop notices at once and stops its timer.
// - The same heartbeat as a PeriodicTask: a plain function called every `--interval` ms,
//   stopped with cancel() after `--beats` calls.
//
// Both run in the main thread's event loop, side by side, until they are done or until
// Ctrl+C (SIGINT) or SIGTERM, which cancels them; the program then exits with code 0.
//
//   heartbeat [--beats N] [--interval MS] [--style task|periodic|both]

#include <tasktools/backgroundtask.h>
#include <tasktools/periodictask.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFutureWatcher>
#include <QtCore/QPromise>
#include <QtCore/QTimer>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>

using namespace TaskTools;

namespace {

// Written by the signal handler, read by a timer of the event loop: a lock-free atomic is one
// of the few things a signal handler may touch.
std::atomic<bool> interruptRequested {false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void requestInterrupt(int)
{
    interruptRequested.store(true);
}

QElapsedTimer uptime;

void printBeat(const char *who, int beat)
{
    std::printf("%8.3f s  %-8s beat %d\n", double(uptime.elapsed()) / 1000.0, who, beat);
    std::fflush(stdout);
}

// The BackgroundTask form: the function starts a loop that lives in this thread's event loop and
// reports through a QPromise. The timer is a child of the task, so destroying the task also
// stops the loop.
class HeartBeat : public BackgroundTask<int>
{
public:
    HeartBeat(std::chrono::milliseconds interval, int beats, QObject *parent = nullptr)
        : BackgroundTask([this] { return beat(); }, parent), m_interval(interval), m_beats(beats)
    { }

    int beatCount() const { return m_count; }

private:
    QFuture<int> beat()
    {
        auto promise = std::make_shared<QPromise<int>>();
        QFuture<int> future = promise->future();
        promise->start();

        auto *timer = new QTimer(this);
        timer->setTimerType(Qt::PreciseTimer);
        // QPromise::isCanceled() can only be polled; watching our own future turns cancel()
        // into a signal, so the loop stops now rather than at its next tick. Deleting the
        // timer drops the lambda below and with it the promise, which finishes the future.
        auto *watcher = new QFutureWatcher<int>(timer);
        connect(watcher, &QFutureWatcherBase::canceled, timer, &QObject::deleteLater);
        watcher->setFuture(future);

        m_count = 0;
        connect(timer, &QTimer::timeout, timer, [this, promise, timer] {
            printBeat("task", ++m_count);
            if (m_count == m_beats) {
                promise->addResult(m_count);
                promise->finish();
                timer->deleteLater();
            }
        });
        timer->start(m_interval);
        return future;
    }

    const std::chrono::milliseconds m_interval;
    const int m_beats; // 0: until canceled
    int m_count = 0;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("heartbeat"));
    uptime.start();

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Prints heartbeats from a BackgroundTask and a PeriodicTask until "
                       "Ctrl+C, or until each has beaten --beats times."));
    parser.addHelpOption();
    const QCommandLineOption beatsOption(QStringLiteral("beats"),
                                         QStringLiteral("Stop after <n> beats (0: until Ctrl+C)."),
                                         QStringLiteral("n"), QStringLiteral("0"));
    const QCommandLineOption intervalOption(QStringLiteral("interval"),
                                            QStringLiteral("Milliseconds between beats."),
                                            QStringLiteral("ms"), QStringLiteral("1000"));
    const QCommandLineOption styleOption(QStringLiteral("style"),
                                         QStringLiteral("task, periodic or both."),
                                         QStringLiteral("style"), QStringLiteral("both"));
    parser.addOptions({beatsOption, intervalOption, styleOption});
    parser.process(app);

    bool beatsOk = false;
    bool intervalOk = false;
    const int beats = parser.value(beatsOption).toInt(&beatsOk);
    const int intervalMs = parser.value(intervalOption).toInt(&intervalOk);
    const QString style = parser.value(styleOption);
    if (!beatsOk || beats < 0 || !intervalOk || intervalMs < 1
        || !(style == QLatin1String("task") || style == QLatin1String("periodic")
             || style == QLatin1String("both"))) {
        std::fprintf(stderr, "heartbeat: bad arguments; see --help\n");
        return 2;
    }
    const std::chrono::milliseconds interval(intervalMs);

    HeartBeat heartBeat(interval, beats);
    int periodicBeats = 0;
    PeriodicTask *periodicTask = nullptr;
    PeriodicTask periodic(interval, [&] {
        printBeat("periodic", ++periodicBeats);
        if (periodicBeats == beats)
            periodicTask->cancel();
    });
    periodicTask = &periodic;

    const auto quitWhenBothStopped = [&] {
        if (!heartBeat.isRunning() && !periodic.isRunning())
            QCoreApplication::quit();
    };
    for (BackgroundTaskBase *task : {static_cast<BackgroundTaskBase *>(&heartBeat),
                                     static_cast<BackgroundTaskBase *>(&periodic)}) {
        QObject::connect(task, &BackgroundTaskBase::failed, &app, [](const QString &message) {
            std::fprintf(stderr, "heartbeat: %s\n", qUtf8Printable(message));
        });
        QObject::connect(task, &BackgroundTaskBase::runningChanged, &app, quitWhenBothStopped,
                         Qt::QueuedConnection);
    }

    std::signal(SIGINT, requestInterrupt);
    std::signal(SIGTERM, requestInterrupt);
    QTimer interruptPoll;
    QObject::connect(&interruptPoll, &QTimer::timeout, &app, [&] {
        if (!interruptRequested.load())
            return;
        interruptPoll.stop();
        std::printf("\ninterrupted: stopping\n");
        heartBeat.cancel();
        periodic.cancel();
        QCoreApplication::quit();
    });
    interruptPoll.start(50);

    // The signals above follow the runs; the futures say how they ended.
    QFuture<int> taskRun;
    QFuture<void> periodicRun;
    if (style != QLatin1String("periodic"))
        taskRun = heartBeat.start();
    if (style != QLatin1String("task"))
        periodicRun = periodic.start();

    const int code = QCoreApplication::exec();
    if (taskRun.isFinished() && taskRun.resultCount() == 1)
        std::printf("task: finished with %d beats\n", taskRun.result());
    else if (style != QLatin1String("periodic"))
        std::printf("task: canceled after %d beats\n", heartBeat.beatCount());
    if (style != QLatin1String("task"))
        std::printf("periodic: stopped after %d beats\n", periodicBeats);
    return code;
}
