// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include <tasktools/backgroundtask.h>

#include <QtCore/qpointer.h>
#include <QtCore/qpromise.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>
#include <optional>
#include <stdexcept>

#include "messagecounter.h"

using namespace TaskTools;

namespace {

// Hands out the futures of QPromises that the test settles itself, and keeps them.
template<typename T>
class Producer
{
public:
    std::function<QFuture<T>()> function()
    {
        return [this] {
            auto promise = std::make_shared<QPromise<T>>();
            promise->start();
            m_promises.append(promise);
            return promise->future();
        };
    }
    int calls() const { return int(m_promises.size()); }
    QPromise<T> &promise(int i) { return *m_promises.at(i); }
    std::shared_ptr<QPromise<T>> shared(int i) { return m_promises.at(i); }

private:
    QList<std::shared_ptr<QPromise<T>>> m_promises;
};

// Work driven by this thread's timers: `ticks` ticks `intervalMs` apart, then the result
// `ticks`. It stops at the first tick that finds it canceled.
QFuture<int> tickingWork(QObject *context, int ticks, int intervalMs, std::function<void()> onTick)
{
    auto promise = std::make_shared<QPromise<int>>();
    QFuture<int> future = promise->future();
    promise->start();
    auto *timer = new QTimer(context);
    auto count = std::make_shared<int>(0);
    QObject::connect(timer, &QTimer::timeout, context, [=] {
        if (promise->isCanceled()) {
            promise->finish();
            timer->deleteLater();
            return;
        }
        onTick();
        if (++*count == ticks) {
            promise->addResult(ticks);
            promise->finish();
            timer->deleteLater();
        }
    });
    timer->start(intervalMs);
    return future;
}

template<typename T>
QFuture<T> failedFuture(const char *message)
{
    QPromise<T> promise;
    QFuture<T> future = promise.future();
    promise.start();
    promise.setException(std::make_exception_ptr(std::runtime_error(message)));
    promise.finish();
    return future;
}

template<typename T>
QString exceptionMessage(QFuture<T> future)
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
template<typename T>
bool endedCanceled(const QFuture<T> &future)
{
    return future.isFinished() && future.isCanceled()
        && !QFutureInterfaceBase::get(future).hasException();
}

} // namespace

class tst_BackgroundTask : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void nullFunctionThrows();
    void startReturnsTheFunctionsResult();
    void moveOnlyResult();
    void outcomeIsNeverReportedFromWithinStart();
    void functionThrowingFailsTheRun();
    void failingInnerFutureFailsTheRun();
    void cancelCancelsTheInnerWork();
    void cancelWithoutRunIsNoOp();
    void restartCancelsThePreviousRun();
    void cancelingTheReturnedFutureCancelsTheRun();
    void innerFutureCanceledByItsProducerCancelsTheRun();
    void twoTasksRunConcurrently();
    void innerFutureFinishingOnAnotherThreadIsReportedOnTheTasksThread();
    void destructionWithParentCancelsTheInnerWork();
    void destructionAsStackObjectCancelsTheInnerWork();
    void destructionEmitsNoSignal();
    void innerFutureFinishingAfterDestructionIsHarmless();
    void runningPropertyNotifies();
    void slotsSeeTheRunEnded();
    void restartFromFinishedSlot();
    void cancelFromInsideTheFunction();
    void continuationOnReturnedFutureRuns();
    void slotMayDeleteTheTask_data();
    void slotMayDeleteTheTask();
    void failureIsReportedOnceAndLoggedWhenNobodyListens();
    void failureIsNotLoggedWhenSomeoneListens();

private:
    std::optional<MessageCounter> m_backgroundMessages;
};

void tst_BackgroundTask::init()
{
    m_backgroundMessages.emplace("tasktools.background");
    // Every test also proves that the task never warns unless asked to (ignoreMessage()).
    QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
}

void tst_BackgroundTask::cleanup()
{
    m_backgroundMessages.reset();
}

void tst_BackgroundTask::nullFunctionThrows()
{
    try {
        BackgroundTask<int> task(nullptr);
        QFAIL("an empty function was accepted");
    } catch (const std::invalid_argument &e) {
        QVERIFY(QByteArray(e.what()).contains("empty"));
    }
    try {
        BackgroundTask<> task(std::function<QFuture<void>()> {});
        QFAIL("an empty function was accepted");
    } catch (const std::invalid_argument &) { }
}

void tst_BackgroundTask::startReturnsTheFunctionsResult()
{
    Producer<int> producer;
    BackgroundTask<int> task(producer.function());
    QSignalSpy finished(&task, &BackgroundTaskBase::finished);
    QVERIFY(finished.isValid());

    QFuture<int> future = task.start();
    QCOMPARE(producer.calls(), 1);
    QVERIFY(future.isStarted());
    QVERIFY(!future.isFinished());

    producer.promise(0).addResult(42);
    producer.promise(0).finish();
    QTRY_VERIFY(future.isFinished());
    QCOMPARE(future.result(), 42);
    QCOMPARE(finished.count(), 1);
    QVERIFY(!task.isRunning());
}

void tst_BackgroundTask::moveOnlyResult()
{
    // A result that cannot be copied is moved from the function's future to the run's.
    auto promise = std::make_shared<QPromise<std::unique_ptr<int>>>();
    BackgroundTask<std::unique_ptr<int>> task([promise] {
        promise->start();
        return promise->future();
    });
    QSignalSpy finished(&task, &BackgroundTaskBase::finished);
    QFuture<std::unique_ptr<int>> future = task.start();
    QTimer::singleShot(1, &task, [promise] {
        promise->addResult(std::make_unique<int>(42));
        promise->finish();
    });
    QTRY_VERIFY(future.isFinished());
    QCOMPARE(finished.count(), 1);
    QCOMPARE(future.resultCount(), 1);
    std::unique_ptr<int> result = future.takeResult();
    QVERIFY(result);
    QCOMPARE(*result, 42);
}

void tst_BackgroundTask::outcomeIsNeverReportedFromWithinStart()
{
    QPromise<QString> ready;
    QFuture<QString> readyFuture = ready.future();
    ready.start();
    ready.addResult(QStringLiteral("done"));
    ready.finish();

    BackgroundTask<QString> task([&] { return readyFuture; });
    QSignalSpy finished(&task, &BackgroundTaskBase::finished);
    QFuture<QString> future = task.start();
    QVERIFY(task.isRunning());
    QVERIFY(!future.isFinished());
    QCOMPARE(finished.count(), 0);

    QVERIFY(finished.wait(2000));
    QCOMPARE(future.result(), QStringLiteral("done"));
}

void tst_BackgroundTask::functionThrowingFailsTheRun()
{
    BackgroundTask<int> task([]() -> QFuture<int> { throw std::runtime_error("no way"); });
    QSignalSpy failed(&task, &BackgroundTaskBase::failed);
    QSignalSpy finished(&task, &BackgroundTaskBase::finished);
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);

    QFuture<int> future = task.start(); // does not throw
    QVERIFY(failed.wait(2000));
    QCOMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("no way"));
    QVERIFY(future.isFinished());
    QCOMPARE(exceptionMessage(future), QStringLiteral("no way"));
    QCOMPARE(finished.count(), 0);
    QCOMPARE(canceled.count(), 0);
}

void tst_BackgroundTask::failingInnerFutureFailsTheRun()
{
    Producer<void> producer;
    BackgroundTask<> task(producer.function());
    QSignalSpy failed(&task, &BackgroundTaskBase::failed);
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);

    QFuture<void> future = task.start();
    producer.promise(0).setException(std::make_exception_ptr(std::runtime_error("disk full")));
    producer.promise(0).finish();

    QVERIFY(failed.wait(2000));
    QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("disk full"));
    QCOMPARE(exceptionMessage(future), QStringLiteral("disk full"));
    QCOMPARE(canceled.count(), 0);

    // A non-standard exception still fails the run, with a generic message.
    BackgroundTask<> odd([] {
        QPromise<void> promise;
        QFuture<void> f = promise.future();
        promise.start();
        promise.setException(std::make_exception_ptr(42));
        promise.finish();
        return f;
    });
    QSignalSpy oddFailed(&odd, &BackgroundTaskBase::failed);
    QFuture<void> oddFuture = odd.start();
    QVERIFY(oddFailed.wait(2000));
    QCOMPARE(oddFailed.at(0).at(0).toString(), QStringLiteral("unknown exception"));
    bool threwInt = false;
    try {
        oddFuture.waitForFinished();
    } catch (int value) {
        threwInt = value == 42;
    }
    QVERIFY(threwInt);
}

void tst_BackgroundTask::cancelCancelsTheInnerWork()
{
    Producer<int> producer;
    BackgroundTask<int> task(producer.function());
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QSignalSpy finished(&task, &BackgroundTaskBase::finished);

    QFuture<int> future = task.start();
    QVERIFY(!producer.promise(0).isCanceled());
    task.cancel();

    QVERIFY(endedCanceled(future)); // synchronously
    QVERIFY(producer.promise(0).isCanceled());
    QVERIFY(!task.isRunning());
    QCOMPARE(canceled.count(), 1);

    // The producer noticing late changes nothing.
    producer.promise(0).addResult(1);
    producer.promise(0).finish();
    QTest::qWait(20); // a window for a wrong delivery: nothing may happen
    QCOMPARE(finished.count(), 0);
    QCOMPARE(canceled.count(), 1);
}

void tst_BackgroundTask::cancelWithoutRunIsNoOp()
{
    Producer<void> producer;
    BackgroundTask<> task(producer.function());
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QSignalSpy running(&task, &BackgroundTaskBase::runningChanged);
    task.cancel();
    QCOMPARE(canceled.count(), 0);
    QCOMPARE(running.count(), 0);
    QCOMPARE(producer.calls(), 0);
}

void tst_BackgroundTask::restartCancelsThePreviousRun()
{
    Producer<int> producer;
    BackgroundTask<int> task(producer.function());
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QSignalSpy finished(&task, &BackgroundTaskBase::finished);
    QSignalSpy running(&task, &BackgroundTaskBase::runningChanged);

    QFuture<int> first = task.start();
    QFuture<int> second = task.start();
    QCOMPARE(producer.calls(), 2);

    QVERIFY(endedCanceled(first));
    QVERIFY(producer.promise(0).isCanceled());
    QVERIFY(!second.isFinished());
    QVERIFY(!producer.promise(1).isCanceled());
    QCOMPARE(canceled.count(), 1);
    QVERIFY(task.isRunning());
    QCOMPARE(running.count(), 1); // stays running across the restart

    // The first run's work finishing late must not complete the second run.
    producer.promise(0).addResult(1);
    producer.promise(0).finish();
    QTest::qWait(20); // a window for a wrong delivery: nothing may happen
    QVERIFY(!second.isFinished());
    QCOMPARE(finished.count(), 0);

    producer.promise(1).addResult(2);
    producer.promise(1).finish();
    QTRY_VERIFY(second.isFinished());
    QCOMPARE(second.result(), 2);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(canceled.count(), 1);
}

void tst_BackgroundTask::cancelingTheReturnedFutureCancelsTheRun()
{
    Producer<void> producer;
    BackgroundTask<> task(producer.function());
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);

    QFuture<void> future = task.start();
    future.cancel();
    QVERIFY(canceled.wait(2000));
    QVERIFY(producer.promise(0).isCanceled());
    QVERIFY(endedCanceled(future));
    QVERIFY(!task.isRunning());
}

void tst_BackgroundTask::innerFutureCanceledByItsProducerCancelsTheRun()
{
    BackgroundTask<int> task([] { return QFuture<int>(); }); // a default QFuture is canceled
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QSignalSpy finished(&task, &BackgroundTaskBase::finished);
    QFuture<int> future = task.start();
    QVERIFY(canceled.wait(2000));
    QVERIFY(endedCanceled(future));
    QCOMPARE(finished.count(), 0);
}

void tst_BackgroundTask::twoTasksRunConcurrently()
{
    QStringList ticks;
    BackgroundTask<int> a(
        [&] { return tickingWork(this, 4, 10, [&] { ticks.append(QStringLiteral("a")); }); });
    BackgroundTask<int> b(
        [&] { return tickingWork(this, 4, 10, [&] { ticks.append(QStringLiteral("b")); }); });
    QFuture<int> fa = a.start();
    QFuture<int> fb = b.start();
    QVERIFY(a.isRunning());
    QVERIFY(b.isRunning());

    QTRY_VERIFY_WITH_TIMEOUT(fa.isFinished() && fb.isFinished(), 3000);
    QCOMPARE(fa.result(), 4);
    QCOMPARE(fb.result(), 4);
    // Each made progress while the other was still working: one loop served both.
    QCOMPARE(ticks.size(), 8);
    QVERIFY2(ticks.indexOf(QStringLiteral("b")) < ticks.lastIndexOf(QStringLiteral("a")),
             qPrintable(ticks.join(QLatin1Char(' '))));
    QVERIFY2(ticks.indexOf(QStringLiteral("a")) < ticks.lastIndexOf(QStringLiteral("b")),
             qPrintable(ticks.join(QLatin1Char(' '))));
}

void tst_BackgroundTask::innerFutureFinishingOnAnotherThreadIsReportedOnTheTasksThread()
{
    Producer<int> producer;
    BackgroundTask<int> task(producer.function());
    QThread *finishedOn = nullptr;
    connect(&task, &BackgroundTaskBase::finished, this,
            [&] { finishedOn = QThread::currentThread(); });

    QFuture<int> future = task.start();
    std::unique_ptr<QThread> worker(QThread::create([promise = producer.shared(0)] {
        promise->addResult(7);
        promise->finish();
    }));
    worker->start();
    QVERIFY(worker->wait(2000));

    QTRY_VERIFY(future.isFinished());
    QCOMPARE(future.result(), 7);
    QTRY_COMPARE(finishedOn, QThread::currentThread());
}

void tst_BackgroundTask::destructionWithParentCancelsTheInnerWork()
{
    Producer<void> producer;
    auto *parent = new QObject;
    auto *task = new BackgroundTask<>(producer.function(), parent);
    QFuture<void> future = task->start();
    QVERIFY(!producer.promise(0).isCanceled());

    delete parent;
    QVERIFY(producer.promise(0).isCanceled());
    QVERIFY(endedCanceled(future));

    // Work driven by timers stops too.
    int ticks = 0;
    auto *parent2 = new QObject;
    auto *ticking = new BackgroundTask<int>(
        [&] { return tickingWork(this, 1000, 5, [&] { ++ticks; }); }, parent2);
    QFuture<int> tickingFuture = ticking->start();
    QTRY_VERIFY(ticks >= 2);
    delete parent2;
    QVERIFY(endedCanceled(tickingFuture));
    const int ticksAtDestruction = ticks;
    QTest::qWait(50); // the next tick finds the work canceled and stops its timer
    QCOMPARE(ticks, ticksAtDestruction);
}

void tst_BackgroundTask::destructionAsStackObjectCancelsTheInnerWork()
{
    Producer<QString> producer;
    QFuture<QString> future;
    {
        BackgroundTask<QString> task(producer.function());
        future = task.start();
    }
    QVERIFY(producer.promise(0).isCanceled());
    QVERIFY(endedCanceled(future));
}

void tst_BackgroundTask::destructionEmitsNoSignal()
{
    Producer<void> producer;
    int signalsAfterStart = 0;
    {
        BackgroundTask<> task(producer.function());
        QFuture<void> future = task.start();
        const auto count = [&] {
            ++signalsAfterStart;
        };
        connect(&task, &BackgroundTaskBase::canceled, this, count);
        connect(&task, &BackgroundTaskBase::runningChanged, this, count);
        connect(&task, &BackgroundTaskBase::finished, this, count);
        connect(&task, &BackgroundTaskBase::failed, this, count);
    }
    QCOMPARE(signalsAfterStart, 0);
}

void tst_BackgroundTask::innerFutureFinishingAfterDestructionIsHarmless()
{
    // Settled on this thread, with results, and on another thread with an exception:
    // neither may reach the destroyed task (no crash, no warning, nothing delivered).
    Producer<int> producer;
    QFuture<int> first;
    QFuture<int> second;
    {
        BackgroundTask<int> task(producer.function());
        first = task.start();
        QCoreApplication::processEvents(); // let the watchers connect and post their events
    }
    {
        BackgroundTask<int> task(producer.function());
        second = task.start();
    }
    producer.promise(0).addResult(1);
    producer.promise(0).finish();
    std::unique_ptr<QThread> worker(QThread::create([promise = producer.shared(1)] {
        promise->setException(std::make_exception_ptr(std::runtime_error("late")));
        promise->finish();
    }));
    worker->start();
    QVERIFY(worker->wait(2000));
    QTest::qWait(30); // a window for a wrong delivery: nothing may happen
    QVERIFY(endedCanceled(first));
    QVERIFY(endedCanceled(second));
    QCOMPARE(m_backgroundMessages->count(), 0);
}

void tst_BackgroundTask::runningPropertyNotifies()
{
    Producer<void> producer;
    BackgroundTask<> task(producer.function());
    const QMetaProperty property =
        task.metaObject()->property(task.metaObject()->indexOfProperty("running"));
    QVERIFY(property.isValid());
    QVERIFY(property.hasNotifySignal());
    QCOMPARE(property.notifySignal(), QMetaMethod::fromSignal(&BackgroundTaskBase::runningChanged));

    QSignalSpy running(&task, &BackgroundTaskBase::runningChanged);
    QCOMPARE(task.property("running").toBool(), false);
    QFuture<void> first = task.start();
    QCOMPARE(task.property("running").toBool(), true);
    QCOMPARE(running.count(), 1);
    QCOMPARE(running.at(0).at(0).toBool(), true);

    producer.promise(0).finish();
    QVERIFY(running.wait(2000));
    QCOMPARE(running.count(), 2);
    QCOMPARE(running.at(1).at(0).toBool(), false);
    QCOMPARE(task.property("running").toBool(), false);

    QFuture<void> second = task.start();
    task.cancel();
    QCOMPARE(running.count(), 4);
    QCOMPARE(running.at(2).at(0).toBool(), true);
    QCOMPARE(running.at(3).at(0).toBool(), false);
}

void tst_BackgroundTask::slotsSeeTheRunEnded()
{
    Producer<int> producer;
    BackgroundTask<int> task(producer.function());
    QFuture<int> future;
    QStringList order;
    connect(&task, &BackgroundTaskBase::runningChanged, this, [&](bool running) {
        if (!running)
            order.append(QStringLiteral("runningChanged(false)"));
    });
    connect(&task, &BackgroundTaskBase::finished, this, [&] {
        order.append(QStringLiteral("finished"));
        QVERIFY(!task.isRunning());
        QVERIFY(future.isFinished());
        QCOMPARE(future.result(), 5);
    });

    future = task.start();
    producer.promise(0).addResult(5);
    producer.promise(0).finish();
    QTRY_COMPARE(order.size(), 2);
    QCOMPARE(order,
             QStringList({QStringLiteral("runningChanged(false)"), QStringLiteral("finished")}));
}

void tst_BackgroundTask::restartFromFinishedSlot()
{
    int runs = 0;
    BackgroundTask<int> task([&] {
        ++runs;
        QPromise<int> promise;
        QFuture<int> future = promise.future();
        promise.start();
        promise.addResult(runs);
        promise.finish();
        return future;
    });
    QList<QFuture<int>> futures;
    connect(&task, &BackgroundTaskBase::finished, this, [&] {
        if (runs < 3)
            futures.append(task.start());
    });
    futures.append(task.start());
    QTRY_COMPARE(runs, 3);
    QTRY_VERIFY(!task.isRunning());
    QCOMPARE(futures.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(futures.at(i).result(), i + 1);
}

void tst_BackgroundTask::cancelFromInsideTheFunction()
{
    Producer<void> producer;
    BackgroundTask<> *self = nullptr;
    auto inner = producer.function();
    BackgroundTask<> task([&] {
        QFuture<void> future = inner();
        self->cancel();
        return future;
    });
    self = &task;
    QSignalSpy canceled(&task, &BackgroundTaskBase::canceled);
    QFuture<void> future = task.start();
    QVERIFY(endedCanceled(future));
    QCOMPARE(canceled.count(), 1);
    QVERIFY(producer.promise(0).isCanceled()); // the function's future, returned after cancel()
    QVERIFY(!task.isRunning());
}

void tst_BackgroundTask::continuationOnReturnedFutureRuns()
{
    Producer<int> producer;
    BackgroundTask<int> task(producer.function());

    int value = 0;
    QFuture<void> done =
        task.start().then(QtFuture::Launch::Sync, [&](int result) { value = result; });
    producer.promise(0).addResult(9);
    producer.promise(0).finish();
    QTRY_VERIFY(done.isFinished());
    QCOMPARE(value, 9);

    bool sawCancel = false;
    QFuture<int> canceledChain =
        task.start()
            .then(QtFuture::Launch::Sync, [](int result) { return result; })
            .onCanceled([&] {
                sawCancel = true;
                return -1;
            });
    task.cancel();
    QVERIFY(canceledChain.isFinished());
    QVERIFY(sawCancel);
    QCOMPARE(canceledChain.result(), -1);
}

void tst_BackgroundTask::slotMayDeleteTheTask_data()
{
    QTest::addColumn<QString>("outcome");
    QTest::newRow("finished") << QStringLiteral("finished");
    QTest::newRow("failed") << QStringLiteral("failed");
    QTest::newRow("canceled through the future") << QStringLiteral("canceled");
    QTest::newRow("runningChanged") << QStringLiteral("runningChanged");
}

// Qt's usual advice is deleteLater(), but a direct delete from a slot must not crash either
// (the sanitizer builds check for use after free).
void tst_BackgroundTask::slotMayDeleteTheTask()
{
    QFETCH(QString, outcome);
    Producer<int> producer;
    auto *task = new BackgroundTask<int>(producer.function());
    QPointer<BackgroundTask<int>> alive(task);
    const auto deleteTask = [&] {
        delete task;
    };
    if (outcome == QLatin1String("finished"))
        connect(task, &BackgroundTaskBase::finished, this, deleteTask);
    else if (outcome == QLatin1String("failed"))
        connect(task, &BackgroundTaskBase::failed, this, deleteTask);
    else if (outcome == QLatin1String("canceled"))
        connect(task, &BackgroundTaskBase::canceled, this, deleteTask);
    else
        connect(task, &BackgroundTaskBase::runningChanged, this, [&](bool running) {
            if (!running)
                delete task;
        });

    QFuture<int> future = task->start();
    if (outcome == QLatin1String("canceled")) {
        future.cancel(); // reaches the task through its watcher, like a finished inner future
    } else {
        if (outcome == QLatin1String("failed"))
            producer.promise(0).setException(std::make_exception_ptr(std::runtime_error("x")));
        else
            producer.promise(0).addResult(1);
        producer.promise(0).finish();
    }

    QTRY_VERIFY(!alive);
    QVERIFY(future.isFinished());
    if (outcome == QLatin1String("finished") || outcome == QLatin1String("runningChanged"))
        QCOMPARE(future.result(), 1);
}

void tst_BackgroundTask::failureIsReportedOnceAndLoggedWhenNobodyListens()
{
    BackgroundTask<int> task([] { return failedFuture<int>("sensor unplugged"); });
    task.setObjectName(QStringLiteral("reader"));
    // The category prefix is not part of the message text; the message names the task and
    // carries the exception's message.
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("reader.*failed.*sensor unplugged")));
    QSignalSpy running(&task, &BackgroundTaskBase::runningChanged);
    QFuture<int> future = task.start();
    QVERIFY(running.wait(2000)); // running turned false: the run is over
    QCOMPARE(m_backgroundMessages->count(), 1);
    // The future still carries the exception.
    QCOMPARE(exceptionMessage(future), QStringLiteral("sensor unplugged"));
    QTest::qWait(20); // a window for a second message: nothing may happen
    QCOMPARE(m_backgroundMessages->count(), 1);
}

void tst_BackgroundTask::failureIsNotLoggedWhenSomeoneListens()
{
    BackgroundTask<> task([] { return failedFuture<void>("sensor unplugged"); });
    QStringList messages;
    connect(&task, &BackgroundTaskBase::failed, this,
            [&](const QString &message) { messages.append(message); });
    QFuture<void> future = task.start();
    QTRY_VERIFY(future.isFinished());
    QCOMPARE(messages, QStringList {QStringLiteral("sensor unplugged")});
    QCOMPARE(m_backgroundMessages->count(), 0);
    QCOMPARE(exceptionMessage(future), QStringLiteral("sensor unplugged"));
}

QTEST_GUILESS_MAIN(tst_BackgroundTask)

#include "tst_backgroundtask.moc"
