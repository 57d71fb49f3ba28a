// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include <tasktools/periodictask.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qpromise.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "messagecounter.h"

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

QString exceptionMessage(QFuture<void> future)
{
    try {
        future.waitForFinished();
    } catch (const std::runtime_error &e) {
        return QString::fromUtf8(e.what());
    } catch (...) {
        return QStringLiteral("<an exception of another type>");
    }
    return QStringLiteral("<no exception>");
}

// Qt 6.4 reports isCanceled() for a failed future too.
bool endedCanceled(const QFuture<void> &future)
{
    return future.isFinished() && future.isCanceled()
        && !QFutureInterfaceBase::get(future).hasException();
}

QFuture<void> readyFuture()
{
    QPromise<void> promise;
    QFuture<void> future = promise.future();
    promise.start();
    promise.finish();
    return future;
}

QFuture<void> failedFuture(const char *message)
{
    QPromise<void> promise;
    QFuture<void> future = promise.future();
    promise.start();
    promise.setException(std::make_exception_ptr(std::runtime_error(message)));
    promise.finish();
    return future;
}

double ms(qint64 nanoseconds)
{
    return double(nanoseconds) / 1e6;
}

} // namespace

class tst_PeriodicTask : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void badArgumentsThrow();
    void firstCallHappensAtStart();
    void keepsTheCadence();
    void callsNeverOverlap();
    void slowCallIsFollowedAtOnce();
    void slowSynchronousCallIsFollowedAtOnce();
    void asynchronousFunction();
    void canceledCallDoesNotEndTheTask();
    void throwingCallEndsTheTask();
    void failingFutureEndsTheTask();
    void failureIsLoggedWhenNobodyListens();
    void cancelStopsFurtherCalls();
    void cancelCancelsTheCallInProgress();
    void cancelingTheReturnedFutureStopsTheTask();
    void cancelFromInsideACall();
    void destructionStopsTheCallsAndCancelsTheCallInProgress();
    void restartWhileRunning();
    void runningPropertyAndSignals();
    void zeroIntervalDoesNotStarveTheEventLoop();

private:
    std::optional<MessageCounter> m_backgroundMessages;
};

void tst_PeriodicTask::init()
{
    m_backgroundMessages.emplace("tasktools.background");
    QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
}

void tst_PeriodicTask::cleanup()
{
    m_backgroundMessages.reset();
}

void tst_PeriodicTask::badArgumentsThrow()
{
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, PeriodicTask(10ms, std::function<void()> {}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             PeriodicTask(10ms, std::function<QFuture<void>()> {}));
    void (*nullFunction)() = nullptr;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, PeriodicTask(10ms, nullFunction));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, PeriodicTask(-1ms, [] {}));
}

void tst_PeriodicTask::firstCallHappensAtStart()
{
    int calls = 0;
    PeriodicTask task(1h, [&] { ++calls; });
    QVERIFY(task.interval() == 1h);
    QCOMPARE(calls, 0);
    QFuture<void> future = task.start();
    QCOMPARE(calls, 1);
    QVERIFY(task.isRunning());
    QVERIFY(!future.isFinished());
    QTest::qWait(30); // the next call is an hour away
    QCOMPARE(calls, 1);
}

void tst_PeriodicTask::keepsTheCadence()
{
    constexpr auto interval = 50ms;
    constexpr qint64 intervalNs = std::chrono::nanoseconds(interval).count();
    QElapsedTimer clock;
    clock.start();
    QList<qint64> starts;
    PeriodicTask task(interval, [&] { starts.append(clock.nsecsElapsed()); });
    QFuture<void> future = task.start();
    QTRY_VERIFY_WITH_TIMEOUT(starts.size() >= 11, 5000);
    task.cancel();

    QList<qint64> gaps;
    for (qsizetype i = 1; i < starts.size(); ++i)
        gaps.append(starts.at(i) - starts.at(i - 1));
    const double mean =
        double(std::accumulate(gaps.cbegin(), gaps.cend(), qint64(0))) / double(gaps.size());
    QString report;
    for (const qint64 gap : gaps)
        report += QString::number(ms(gap), 'f', 2) + QLatin1Char(' ');
    qDebug("start-to-start gaps (ms): %s", qPrintable(report));

    // Never early (2 ms of slack for the two clocks being read a moment apart), on average
    // close to the interval, and never wildly late even on a busy machine.
    for (const qint64 gap : gaps) {
        QVERIFY2(gap >= intervalNs - 2'000'000, qPrintable(report));
        QVERIFY2(gap <= 5 * intervalNs, qPrintable(report));
    }
    QVERIFY2(mean >= 0.9 * double(intervalNs), qPrintable(report));
    QVERIFY2(mean <= 2.0 * double(intervalNs), qPrintable(report));
}

void tst_PeriodicTask::callsNeverOverlap()
{
    // Calls lasting less, about as long as, and much longer than the interval.
    const int durationsMs[] = {5, 45, 0, 30, 19, 60};
    QObject context; // drops the pending completions when the test ends
    QElapsedTimer clock;
    clock.start();
    int calls = 0;
    int inFlight = 0;
    int maxInFlight = 0;
    qint64 lastEnd = -1;
    bool startedBeforePreviousEnded = false;

    PeriodicTask task(20ms, [&] {
        if (inFlight > 0 || (calls > 0 && lastEnd < 0))
            startedBeforePreviousEnded = true;
        ++inFlight;
        maxInFlight = std::max(maxInFlight, inFlight);
        auto promise = std::make_shared<QPromise<void>>();
        QFuture<void> future = promise->future();
        promise->start();
        const int duration = durationsMs[calls++ % std::size(durationsMs)];
        lastEnd = -1;
        QTimer::singleShot(duration, &context, [&, promise] {
            --inFlight;
            lastEnd = clock.nsecsElapsed();
            promise->finish();
        });
        return future;
    });
    QFuture<void> future = task.start();
    QTRY_VERIFY_WITH_TIMEOUT(calls >= 13, 5000);
    task.cancel();
    QCOMPARE(maxInFlight, 1);
    QVERIFY(!startedBeforePreviousEnded);
}

void tst_PeriodicTask::slowCallIsFollowedAtOnce()
{
    constexpr auto interval = 40ms;
    QObject context;
    QElapsedTimer clock;
    clock.start();
    QList<qint64> starts;
    qint64 firstEnded = 0;
    PeriodicTask task(interval, [&] {
        starts.append(clock.nsecsElapsed());
        auto promise = std::make_shared<QPromise<void>>();
        QFuture<void> future = promise->future();
        promise->start();
        if (starts.size() == 1) {
            QTimer::singleShot(2 * interval, &context, [&, promise] {
                firstEnded = clock.nsecsElapsed();
                promise->finish();
            });
        } else {
            promise->finish();
        }
        return future;
    });
    QFuture<void> future = task.start();
    QTRY_VERIFY_WITH_TIMEOUT(starts.size() >= 2, 3000);
    task.cancel();

    const qint64 intervalNs = std::chrono::nanoseconds(interval).count();
    QVERIFY(firstEnded > 0);
    QVERIFY2(starts.at(1) >= firstEnded, "the second call began before the first one ended");
    QVERIFY2(starts.at(1) - starts.at(0) >= 2 * intervalNs - 2'000'000,
             qPrintable(QString::number(ms(starts.at(1) - starts.at(0)))));
    // "At once": well within one interval, although the first call overran by a whole one.
    QVERIFY2(starts.at(1) - firstEnded < intervalNs,
             qPrintable(QString::number(ms(starts.at(1) - firstEnded))));
}

void tst_PeriodicTask::slowSynchronousCallIsFollowedAtOnce()
{
    constexpr auto interval = 30ms;
    QElapsedTimer clock;
    clock.start();
    QList<qint64> starts;
    qint64 firstEnded = 0;
    PeriodicTask task(interval, [&] {
        starts.append(clock.nsecsElapsed());
        if (starts.size() == 1) {
            QThread::msleep(2 * interval.count()); // simulates slow synchronous work
            firstEnded = clock.nsecsElapsed();
        }
    });
    QFuture<void> future = task.start();
    QTRY_VERIFY_WITH_TIMEOUT(starts.size() >= 2, 3000);
    task.cancel();
    const qint64 intervalNs = std::chrono::nanoseconds(interval).count();
    QVERIFY(starts.at(1) >= firstEnded);
    QVERIFY2(starts.at(1) - firstEnded < intervalNs,
             qPrintable(QString::number(ms(starts.at(1) - firstEnded))));
}

void tst_PeriodicTask::asynchronousFunction()
{
    QObject context;
    QList<std::shared_ptr<QPromise<void>>> promises;
    PeriodicTask task(15ms, [&]() -> QFuture<void> {
        auto promise = std::make_shared<QPromise<void>>();
        promises.append(promise);
        promise->start();
        QTimer::singleShot(5, &context, [promise] { promise->finish(); });
        return promise->future();
    });
    QSignalSpy failed(&task, &BackgroundTaskBase::failed);
    QFuture<void> future = task.start();
    QTRY_VERIFY_WITH_TIMEOUT(promises.size() >= 4, 3000);
    QVERIFY(task.isRunning());
    QVERIFY(!future.isFinished());
    for (qsizetype i = 0; i + 1 < promises.size(); ++i)
        QVERIFY(promises.at(i)->future().isFinished() && !promises.at(i)->isCanceled());
    task.cancel();
    QVERIFY(endedCanceled(future));
    QCOMPARE(failed.count(), 0);
}

void tst_PeriodicTask::canceledCallDoesNotEndTheTask()
{
    int calls = 0;
    PeriodicTask task(5ms, [&] {
        ++calls;
        return QFuture<void>(); // a default QFuture is canceled
    });
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QFuture<void> future = task.start();
    QTRY_VERIFY_WITH_TIMEOUT(calls >= 4, 3000);
    QVERIFY(task.isRunning());
    QVERIFY(!future.isFinished());
    QCOMPARE(canceled.count(), 0);
}

void tst_PeriodicTask::throwingCallEndsTheTask()
{
    int calls = 0;
    PeriodicTask task(10ms, [&] {
        if (++calls == 3)
            throw std::runtime_error("tick 3 failed");
    });
    QSignalSpy failed(&task, &BackgroundTaskBase::failed);
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QFuture<void> future = task.start();
    QVERIFY(failed.wait(3000));
    QCOMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("tick 3 failed"));
    QVERIFY(future.isFinished());
    QCOMPARE(exceptionMessage(future), QStringLiteral("tick 3 failed"));
    QVERIFY(!task.isRunning());
    QCOMPARE(canceled.count(), 0);

    QTest::qWait(60); // no call after the failure
    QCOMPARE(calls, 3);
    QCOMPARE(failed.count(), 1);
}

void tst_PeriodicTask::failingFutureEndsTheTask()
{
    int calls = 0;
    PeriodicTask task(10ms, [&]() -> QFuture<void> {
        if (++calls == 2)
            return failedFuture("remote said no");
        QPromise<void> promise;
        promise.start();
        return promise.future(); // finished when the promise is destroyed: canceled, harmless
    });
    QSignalSpy failed(&task, &BackgroundTaskBase::failed);
    QFuture<void> future = task.start();
    QVERIFY(failed.wait(3000));
    QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("remote said no"));
    QCOMPARE(exceptionMessage(future), QStringLiteral("remote said no"));
    QTest::qWait(50); // a window for a wrong call: nothing may happen
    QCOMPARE(calls, 2);
}

void tst_PeriodicTask::failureIsLoggedWhenNobodyListens()
{
    PeriodicTask task(10ms, [] { throw std::runtime_error("tick failed"); });
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("PeriodicTask.*failed.*tick failed")));
    QFuture<void> future = task.start();
    QTRY_VERIFY(future.isFinished());
    QCOMPARE(m_backgroundMessages->count(), 1);
    QCOMPARE(exceptionMessage(future), QStringLiteral("tick failed"));
}

void tst_PeriodicTask::cancelStopsFurtherCalls()
{
    int calls = 0;
    PeriodicTask task(10ms, [&] { ++calls; });
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QFuture<void> future = task.start();
    QTRY_VERIFY(calls >= 3);
    task.cancel();
    const int callsAtCancel = calls;
    QVERIFY(endedCanceled(future));
    QCOMPARE(canceled.count(), 1);
    QVERIFY(!task.isRunning());

    QTest::qWait(100); // ten intervals: nothing may happen
    QCOMPARE(calls, callsAtCancel);
    QCOMPARE(canceled.count(), 1);
}

void tst_PeriodicTask::cancelCancelsTheCallInProgress()
{
    std::shared_ptr<QPromise<void>> inProgress;
    PeriodicTask task(10ms, [&] {
        inProgress = std::make_shared<QPromise<void>>();
        inProgress->start();
        return inProgress->future(); // never finished by the producer
    });
    QFuture<void> future = task.start();
    QVERIFY(inProgress);
    QTest::qWait(30); // longer than the interval: still the same call, no overlap
    QVERIFY(!inProgress->isCanceled());
    auto first = inProgress;
    task.cancel();
    QVERIFY(first->isCanceled());
    QVERIFY(inProgress == first);
    QVERIFY(endedCanceled(future));
}

void tst_PeriodicTask::cancelingTheReturnedFutureStopsTheTask()
{
    int calls = 0;
    PeriodicTask task(10ms, [&] { ++calls; });
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QFuture<void> future = task.start();
    future.cancel();
    QVERIFY(canceled.wait(2000));
    QVERIFY(!task.isRunning());
    QVERIFY(endedCanceled(future));
    const int callsAtCancel = calls;
    QTest::qWait(50); // a window for a wrong call: nothing may happen
    QCOMPARE(calls, callsAtCancel);
}

void tst_PeriodicTask::cancelFromInsideACall()
{
    int calls = 0;
    PeriodicTask *self = nullptr;
    PeriodicTask task(5ms, [&] {
        if (++calls == 3)
            self->cancel();
    });
    self = &task;
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QFuture<void> future = task.start();
    QVERIFY(canceled.wait(2000));
    QVERIFY(endedCanceled(future));
    QTest::qWait(30); // a window for a wrong call: nothing may happen
    QCOMPARE(calls, 3);
}

void tst_PeriodicTask::destructionStopsTheCallsAndCancelsTheCallInProgress()
{
    int calls = 0;
    std::shared_ptr<QPromise<void>> third;
    auto *parent = new QObject;
    auto *task = new PeriodicTask(
        10ms,
        [&]() -> QFuture<void> {
            if (++calls < 3)
                return readyFuture();
            // The third call never ends on its own: it is in progress when the task dies.
            third = std::make_shared<QPromise<void>>();
            third->start();
            return third->future();
        },
        parent);
    QFuture<void> future = task->start();
    QTRY_VERIFY(calls == 3);
    QVERIFY(!third->isCanceled());
    delete parent;
    QVERIFY(third->isCanceled());
    QVERIFY(endedCanceled(future));
    QTest::qWait(50); // a window for a wrong call: nothing may happen
    QCOMPARE(calls, 3);
}

void tst_PeriodicTask::restartWhileRunning()
{
    int calls = 0;
    PeriodicTask task(1h, [&] { ++calls; });
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QSignalSpy running(&task, &BackgroundTaskBase::runningChanged);
    QFuture<void> first = task.start();
    QCOMPARE(calls, 1);
    QFuture<void> second = task.start();
    QCOMPARE(calls, 2); // the restart calls at once, without waiting for the interval
    QVERIFY(endedCanceled(first));
    QVERIFY(!second.isFinished());
    QCOMPARE(canceled.count(), 1);
    QCOMPARE(running.count(), 1);
    QVERIFY(task.isRunning());
}

void tst_PeriodicTask::runningPropertyAndSignals()
{
    PeriodicTask task(10ms, [] {});
    QSignalSpy running(&task, &BackgroundTaskBase::runningChanged);
    QSignalSpy finished(&task, &BackgroundTaskBase::finished);
    QCOMPARE(task.property("running").toBool(), false);
    QFuture<void> future = task.start();
    QCOMPARE(task.property("running").toBool(), true);
    QCOMPARE(running.count(), 1);
    QTest::qWait(30); // a few calls (nothing below depends on how many)
    task.cancel();
    QCOMPARE(task.property("running").toBool(), false);
    QCOMPARE(running.count(), 2);
    QCOMPARE(running.at(1).at(0).toBool(), false);
    QCOMPARE(finished.count(), 0); // a periodic task never finishes on its own
}

void tst_PeriodicTask::zeroIntervalDoesNotStarveTheEventLoop()
{
    int calls = 0;
    PeriodicTask task(0ms, [&] { ++calls; });
    int ticks = 0;
    QTimer checker;
    connect(&checker, &QTimer::timeout, this, [&] { ++ticks; });
    checker.start(5);
    QFuture<void> future = task.start();
    QTRY_VERIFY_WITH_TIMEOUT(ticks >= 5, 3000);
    QVERIFY(calls > ticks);
    task.cancel();
}

QTEST_GUILESS_MAIN(tst_PeriodicTask)

#include "tst_periodictask.moc"
