// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// Bugs found by the fuzzer (tests/fuzz/fuzz_pool.cpp), each pinned down by the smallest
// program that showed it.

#include <tasktools/tasktools.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QPointer>
#include <QtCore/QPromise>
#include <QtCore/QThread>
#include <QtTest/QtTest>

#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

using namespace TaskTools;
using namespace std::chrono_literals;

class tst_FuzzFindings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void statusTimersSurviveDestroyFromPoolThread_data();
    void statusTimersSurviveDestroyFromPoolThread();
    void cancelRacingAFailureCountsAsTheFutureEnds_data();
    void cancelRacingAFailureCountsAsTheFutureEnds();
    void canceledFutureEndsTheBackgroundRunCanceled_data();
    void canceledFutureEndsTheBackgroundRunCanceled();
    void taskDeletedFromWithinItsFunction_data();
    void taskDeletedFromWithinItsFunction();
};

void tst_FuzzFindings::statusTimersSurviveDestroyFromPoolThread_data()
{
    QTest::addColumn<bool>("async");
    QTest::newRow("blocking") << false;
    QTest::newRow("async") << true;
}

// A pool destroyed from its own thread used to delete its PoolStatus there too, while the
// status's timers (update throttle, throughput sampler) were registered with the owner thread's
// event dispatcher: they could not be stopped ("QBasicTimer::stop: Failed") and later fired on
// the deleted object. Fuzzer input: P0A s0 t0 m0 c0 S0 g0 S0 b0:14,16 w K0 ...
void tst_FuzzFindings::statusTimersSurviveDestroyFromPoolThread()
{
    QFETCH(bool, async);
    QTest::failOnWarning(QRegularExpression(QStringLiteral("QBasicTimer")));
    auto exited = std::make_shared<std::atomic<bool>>(false);
    auto destroyInTask = [&](auto *pool) {
        pool->addContext([] {}, [exited] { exited->store(true); });
        QSignalSpy submitted(pool->status(), &PoolStatus::submittedChanged);
        QPointer<PoolStatus> status = pool->status();
        if constexpr (std::is_same_v<std::remove_pointer_t<decltype(pool)>, AsyncThreadedTaskPool>)
            pool->start().waitForFinished();
        else
            pool->start();
        pool->createTask([] { return 1; }).waitForFinished();
        // A round of notifications in the owner thread: from now on the status's throughput
        // sampler runs there (as long as the pool is active), and its throttle for a moment.
        QTRY_VERIFY(!submitted.isEmpty());
        pool->createTask([pool] { delete pool; }).waitForFinished();
        QTRY_VERIFY(exited->load()); // the run ended after the destructor returned
        // The status goes in its own thread, with its timers; none fires on a deleted object.
        QTRY_VERIFY(status.isNull());
        QTest::qWait(2 * PoolStatus::ThroughputSampleMs); // nothing must fire after it went
    };
    if (async)
        destroyInTask(new AsyncThreadedTaskPool({.name = QStringLiteral("self-destroy")}));
    else
        destroyInTask(new BlockingThreadedTaskPool({.name = QStringLiteral("self-destroy")}));
}

void tst_FuzzFindings::cancelRacingAFailureCountsAsTheFutureEnds_data()
{
    QTest::addColumn<bool>("batch");
    QTest::newRow("task") << false;
    QTest::newRow("batch") << true;
}

// A task that threw while its caller canceled its future: the pool decided "failed" from
// isCanceled() before it stored the exception, so a cancel() in between made the future end
// canceled (the exception dropped) while the pool counted a failure and emitted
// taskFailed("") with no message. Fuzzer input: P0B+signals s0 t0 m4 c1 S0 a0:0 t0 ... c19 G0:1.
// The window is a few instructions wide and has no hook: each task here tells when it is about
// to throw, and the caller cancels after a delay that sweeps across the time the throw takes to
// reach the pool; then the pool must count each task the way its future ended. Against the old
// code this failed in about one run of five on a 2-core machine (the fuzzer finds it reliably);
// it cannot fail with the fix.
void tst_FuzzFindings::cancelRacingAFailureCountsAsTheFutureEnds()
{
    QFETCH(bool, batch);
    BlockingThreadedTaskPool pool({.name = QStringLiteral("cancel-race")});
    std::atomic<int> emptyMessages {0};
    std::atomic<int> failedSignals {0};
    connect(&pool, &BlockingThreadedTaskPool::taskFailed, [&](const QString &message) {
        ++failedSignals;
        if (message.isEmpty())
            ++emptyMessages;
    });
    pool.start();
    constexpr int Tasks = 4000;
    QList<QFuture<int>> futures;
    futures.reserve(Tasks);
    std::atomic<int> throwing {-1};
    for (int i = 0; i < Tasks; ++i) {
        auto throwNow = [&throwing, i]() -> int {
            throwing.store(i, std::memory_order_release);
            throw std::logic_error("failed");
        };
        QFuture<int> f = batch
            ? pool.createTasks(std::vector<int> {0}, [throwNow](int) { return throwNow(); })
            : pool.createTask(throwNow);
        // Spins (to catch the moment), yielding only if the pool thread seems to need this core.
        for (int k = 0; throwing.load(std::memory_order_acquire) != i; ++k) {
            if (k > 20000)
                QThread::yieldCurrentThread();
        }
        // 0 to 20 µs after the task said it throws, in steps of 10 ns.
        QElapsedTimer delay;
        delay.start();
        while (delay.nsecsElapsed() < (i * 10) % 20000) { }
        f.cancel();
        futures.append(f);
    }
    pool.stop();

    qint64 withException = 0;
    for (QFuture<int> &f : futures) {
        QVERIFY(f.isFinished());
        try {
            f.waitForFinished();
        } catch (const std::logic_error &) {
            ++withException;
        }
    }
    QCOMPARE(emptyMessages.load(), 0);
    QCOMPARE(pool.status()->failed(), withException);
    QCOMPARE(qint64(failedSignals.load()), withException);
    QCOMPARE(pool.status()->canceled(), Tasks - withException);
}

void tst_FuzzFindings::canceledFutureEndsTheBackgroundRunCanceled_data()
{
    QTest::addColumn<int>("kind");
    QTest::newRow("result") << 0;
    QTest::newRow("failure") << 1;
    QTest::newRow("periodic failure") << 2;
}

// The caller canceled the future that start() returned while the news that the run's inner
// future had finished (or failed) was already queued to the task: the task heard that news first
// and ended the run as finished (failed), emitting finished() (failed()), though the future said
// canceled, without the result (exception). Fuzzer input: B0:new background(ready, 0 ms) to
// pool0 B0:start B0:cancelFuture w. The run must end canceled, as its future did.
void tst_FuzzFindings::canceledFutureEndsTheBackgroundRunCanceled()
{
    QFETCH(int, kind);
    auto inner = [kind] {
        QPromise<int> promise;
        promise.start();
        if (kind == 0)
            promise.addResult(1);
        else
            promise.setException(std::make_exception_ptr(std::runtime_error("failed")));
        promise.finish();
        return promise.future();
    };
    std::unique_ptr<BackgroundTaskBase> task;
    std::function<QFuture<void>()> start;
    if (kind < 2) {
        auto *background = new BackgroundTask<int>(inner);
        task.reset(background);
        start = [background] {
            return QFuture<void>(background->start());
        };
    } else {
        // The first call, made by start(), fails at once.
        auto *periodic = new PeriodicTask(1h, [inner] { return QFuture<void>(inner()); });
        task.reset(periodic);
        start = [periodic] {
            return periodic->start();
        };
    }
    QSignalSpy finished(task.get(), &BackgroundTaskBase::finished);
    QSignalSpy failed(task.get(), &BackgroundTaskBase::failed);
    QSignalSpy canceled(task.get(), &BackgroundTaskBase::canceled);

    QFuture<void> future = start();
    future.cancel(); // the inner future finished first: its news is queued ahead
    QTRY_VERIFY(!task->isRunning());
    QCOMPARE(finished.count(), 0);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(canceled.count(), 1);
    QVERIFY(future.isFinished());
    QVERIFY(future.isCanceled());
    QVERIFY(!QFutureInterfaceBase::get(future).hasException());
}

namespace {
// Tells whether a closure went while it ran (its state in statics: the closure's own members are
// what may be gone).
struct ClosureSentinel
{
    static inline bool inCall = false;
    static inline bool destroyedInCall = false;
    ClosureSentinel() = default;
    ClosureSentinel(const ClosureSentinel &) = default;
    ClosureSentinel &operator=(const ClosureSentinel &) = default;
    ~ClosureSentinel()
    {
        if (inCall)
            destroyedInCall = true;
    }
};
} // namespace

void tst_FuzzFindings::taskDeletedFromWithinItsFunction_data()
{
    QTest::addColumn<bool>("periodic");
    QTest::addColumn<bool>("onStopped"); // the slot of runningChanged(false), not of canceled()
    QTest::addColumn<int>("cancelAt"); // the call of the function that cancels
    QTest::newRow("background, canceled()") << false << false << 1;
    QTest::newRow("background, runningChanged(false)") << false << true << 1;
    QTest::newRow("periodic start, canceled()") << true << false << 1;
    QTest::newRow("periodic start, runningChanged(false)") << true << true << 1;
    QTest::newRow("periodic timer, canceled()") << true << false << 2;
    QTest::newRow("periodic timer, runningChanged(false)") << true << true << 2;
}

// The function canceled its own run (allowed: it runs on the task's thread), and a slot of the
// signals that cancel() emits deleted the task (allowed: slots may). Once the function returned,
// start() (a periodic task's timer call) went on with the deleted task, following the future the
// function returned, and the function's own closure had been destroyed while it ran
// (heap-use-after-free under ASan; the sentinel sees the closure go in any build). Fuzzer input:
// B0:new background(ready, 0 ms) to pool0 V0:cancelInCall V0:on canceled delete B0:start. The task
// must end that run canceled, cancel what the function returned, and the function may still use
// what it captured.
void tst_FuzzFindings::taskDeletedFromWithinItsFunction()
{
    QFETCH(bool, periodic);
    QFETCH(bool, onStopped);
    QFETCH(int, cancelAt);
    QPointer<BackgroundTaskBase> task;
    std::vector<std::shared_ptr<QPromise<int>>> promises;
    int calls = 0;
    ClosureSentinel::inCall = false;
    ClosureSentinel::destroyedInCall = false;
    // Uses its captures after cancel() returned, as any function may.
    auto function = [&task, &promises, &calls, cancelAt, sentinel = ClosureSentinel()] {
        Q_UNUSED(sentinel);
        ClosureSentinel::inCall = true;
        if (++calls == cancelAt)
            task->cancel();
        auto promise = std::make_shared<QPromise<int>>();
        promise->start();
        promises.push_back(promise);
        if (calls == 1 && cancelAt == 2) { // the first call ends at once: the next one follows
            promise->addResult(1);
            promise->finish();
        }
        ClosureSentinel::inCall = false;
        return promise->future();
    };
    QFuture<void> future;
    if (periodic) {
        task = new PeriodicTask(1ms, [function] { return QFuture<void>(function()); });
    } else {
        task = new BackgroundTask<int>(function);
    }
    bool stopped = false;
    bool deleted = false;
    connect(task, &BackgroundTaskBase::runningChanged, task, [&](bool running) {
        if (running)
            return;
        stopped = true;
        if (onStopped) {
            deleted = true;
            delete task;
        }
    });
    connect(task, &BackgroundTaskBase::canceled, task, [&] {
        QVERIFY(stopped);
        QVERIFY(!onStopped);
        deleted = true;
        delete task;
    });
    if (periodic)
        future = static_cast<PeriodicTask *>(task.data())->start();
    else
        future = QFuture<void>(static_cast<BackgroundTask<int> *>(task.data())->start());
    QTRY_VERIFY(deleted);
    QVERIFY(task.isNull());
    QVERIFY(!ClosureSentinel::destroyedInCall);
    QCOMPARE(calls, cancelAt);
    QCOMPARE(int(promises.size()), cancelAt);
    QVERIFY(future.isFinished());
    QVERIFY(future.isCanceled());
    QVERIFY(!QFutureInterfaceBase::get(future).hasException());
    QVERIFY(promises.back()->future().isCanceled()); // what the canceling call returned
}

QTEST_GUILESS_MAIN(tst_FuzzFindings)
#include "tst_fuzzfindings.moc"
