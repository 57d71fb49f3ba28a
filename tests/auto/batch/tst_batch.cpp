// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// createTasks(): a batch of calls with one future for all their results, in order.
#include <tasktools/tasktools.h>

#include <QtCore/QFutureWatcher>
#include <QtCore/QPromise>
#include <QtCore/QSemaphore>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include <atomic>
#include <memory>
#include <numeric>
#include <ranges>
#include <span>
#include <vector>

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

struct ElementError : std::runtime_error
{
    explicit ElementError(int i) : std::runtime_error("element failed"), element(i) { }
    int element;
};

PoolOptions named(const char *name)
{
    PoolOptions options;
    options.name = QString::fromLatin1(name);
    return options;
}

// A function that burns about `us` microseconds of the pool thread: workload, not
// synchronisation (a batch that takes a while, so that it can be interrupted).
void busyFor(std::chrono::microseconds us)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.nsecsElapsed() < us.count() * 1000) { }
}

} // namespace

class tst_Batch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void resultsComeInOrder();
    void runsOnThePoolThread();
    void voidFunctionGivesVoidFuture();
    void emptyRangeFinishesAtOnce();
    void lvalueContainerIsCopied();
    void viewsAreAccepted();
    void resultsArriveInBlocksWithProgress();
    void exceptionEndsBatchAndSkipsTheRest();
    void cancelSkipsRemainingElements();
    void timeoutEndsLongBatch();
    void batchYieldsToOtherTasksAndTimers();
    void stopLetsBatchFinish();
    void stopGraceCancelsBatch();
    void batchIsOneTaskForSizeAndStatus();
    void batchIsOneEntryOfMaxPending();
    void asyncPoolBatchWithContinuation();
    void submittingToStoppedPoolThrows();
};

void tst_Batch::resultsComeInOrder()
{
    BlockingThreadedTaskPool pool(named("batch-order"));
    pool.start();
    QList<int> input(100'000);
    std::iota(input.begin(), input.end(), 0);
    QFuture<qint64> future = pool.createTasks(input, [](int i) { return qint64(i) * 3; });
    const QList<qint64> results = future.results();
    QCOMPARE(results.size(), input.size());
    for (int i = 0; i < input.size(); ++i)
        QCOMPARE(results[i], qint64(i) * 3);
    QVERIFY(future.isFinished());
    QVERIFY(!future.isCanceled());
    pool.stop();
}

void tst_Batch::runsOnThePoolThread()
{
    BlockingThreadedTaskPool pool(named("batch-thread"));
    pool.start();
    QFuture<QString> future = pool.createTasks(
        std::views::iota(0, 10), [](int) { return QThread::currentThread()->objectName(); });
    const QList<QString> names = future.results();
    QCOMPARE(names.size(), 10);
    for (const QString &name : names)
        QCOMPARE(name, QStringLiteral("batch-thread"));
    pool.stop();
}

void tst_Batch::voidFunctionGivesVoidFuture()
{
    BlockingThreadedTaskPool pool(named("batch-void"));
    pool.start();
    std::atomic<int> calls {0};
    QFuture<void> future = pool.createTasks(std::views::iota(0, 5000), [&calls](int) { ++calls; });
    future.waitForFinished();
    QCOMPARE(calls.load(), 5000);
    QVERIFY(!future.isCanceled());
    pool.stop();
}

void tst_Batch::emptyRangeFinishesAtOnce()
{
    BlockingThreadedTaskPool pool(named("batch-empty"));
    pool.start();
    bool called = false;
    QFuture<int> future = pool.createTasks(std::vector<int> {}, [&called](int i) {
        called = true;
        return i;
    });
    future.waitForFinished();
    QVERIFY(future.isFinished());
    QVERIFY(!future.isCanceled());
    QCOMPARE(future.resultCount(), 0);
    QVERIFY(!called);
    pool.stop();
    QCOMPARE(pool.status()->completed(), 1);
}

void tst_Batch::lvalueContainerIsCopied()
{
    BlockingThreadedTaskPool pool(named("batch-copy"));
    pool.start();
    QSemaphore entered;
    QSemaphore release;
    // Holds the pool thread so that the batch starts after the caller changed its vector.
    (void)pool.createTask([&] {
        entered.release();
        release.acquire();
    });
    std::vector<int> input {1, 2, 3};
    QFuture<int> future = pool.createTasks(input, [](int i) { return i * 10; });
    entered.acquire();
    input.assign({7, 7, 7, 7});
    release.release();
    QCOMPARE(future.results(), (QList<int> {10, 20, 30}));
    pool.stop();
}

void tst_Batch::viewsAreAccepted()
{
    BlockingThreadedTaskPool pool(named("batch-views"));
    pool.start();
    const std::vector<int> data {5, 6, 7, 8};
    QFuture<int> fromSpan =
        pool.createTasks(std::span<const int>(data), [](int i) { return i + 1; });
    QFuture<int> fromFilter = pool.createTasks(
        std::views::iota(0, 10) | std::views::filter([](int i) { return i % 2 == 0; }),
        [](int i) { return i; });
    QCOMPARE(fromSpan.results(), (QList<int> {6, 7, 8, 9}));
    QCOMPARE(fromFilter.results(), (QList<int> {0, 2, 4, 6, 8}));
    pool.stop();
}

void tst_Batch::resultsArriveInBlocksWithProgress()
{
    AsyncThreadedTaskPool pool(named("batch-blocks"));
    pool.start().waitForFinished();
    const int n = 20'000;
    QFutureWatcher<int> watcher;
    QSignalSpy ready(&watcher, &QFutureWatcher<int>::resultsReadyAt);
    QSignalSpy finished(&watcher, &QFutureWatcher<int>::finished);
    watcher.setFuture(pool.createTasks(std::views::iota(0, n), [](int i) { return i; }));
    QVERIFY(finished.wait(10'000) || finished.count() == 1);
    QCoreApplication::processEvents(); // results signals queued before finished
    QVERIFY2(ready.count() >= 2, "results arrive in several blocks, not one at the end");
    int covered = 0;
    for (const QList<QVariant> &args : std::as_const(ready)) {
        QCOMPARE(args.at(0).toInt(), covered); // blocks in order, no gap
        covered = args.at(1).toInt();
    }
    QCOMPARE(covered, n);
    QCOMPARE(watcher.future().progressMaximum(), n);
    QCOMPARE(watcher.future().progressValue(), n);
    pool.stop().waitForFinished();
}

void tst_Batch::exceptionEndsBatchAndSkipsTheRest()
{
    BlockingThreadedTaskPool pool(named("batch-throw"));
    pool.start();
    std::atomic<int> calls {0};
    QFuture<int> future = pool.createTasks(std::views::iota(0, 100'000), [&calls](int i) {
        ++calls;
        if (i == 500)
            throw ElementError(i);
        return i;
    });
    try {
        future.waitForFinished();
        QFAIL("the batch's exception should have been rethrown");
    } catch (const ElementError &e) {
        QCOMPARE(e.element, 500);
    }
    QCOMPARE(calls.load(), 501);
    pool.stop();
    QCOMPARE(pool.status()->failed(), 1);
    QCOMPARE(pool.status()->completed(), 0);
}

void tst_Batch::cancelSkipsRemainingElements()
{
    BlockingThreadedTaskPool pool(named("batch-cancel"));
    pool.start();
    QSemaphore inFirst;
    QSemaphore canceled;
    std::atomic<int> calls {0};
    const int n = 1'000'000;
    QFuture<int> future = pool.createTasks(std::views::iota(0, n), [&](int i) {
        ++calls;
        if (i == 0) {
            inFirst.release();
            canceled.acquire();
        }
        return i;
    });
    inFirst.acquire();
    future.cancel();
    canceled.release();
    future.waitForFinished();
    QVERIFY(future.isCanceled());
    pool.stop();
    QVERIFY2(calls.load() < n, "the elements after the cancel are skipped");
    QCOMPARE(pool.status()->canceled(), 1);
    QCOMPARE(pool.status()->submitted(), 1);
}

void tst_Batch::timeoutEndsLongBatch()
{
    PoolOptions options = named("batch-timeout");
    options.timeout = 100ms;
    BlockingThreadedTaskPool pool(options);
    pool.start();
    std::atomic<int> calls {0};
    const int n = 100'000; // ~100 s of work: only the timeout can end it in time
    QFuture<int> future = pool.createTasks(std::views::iota(0, n), [&calls](int i) {
        ++calls;
        busyFor(1ms);
        return i;
    });
    QVERIFY_THROWS_EXCEPTION(TimeoutError, future.waitForFinished());
    const int callsAtTimeout = calls.load();
    pool.stop();
    QVERIFY(callsAtTimeout < n);
    QCOMPARE(calls.load(), callsAtTimeout); // nothing ran after the future ended
    QCOMPARE(pool.status()->timedOut(), 1);
}

void tst_Batch::batchYieldsToOtherTasksAndTimers()
{
    BlockingThreadedTaskPool pool(named("batch-yield"));
    pool.start();
    std::atomic<bool> release {false};
    std::atomic<int> calls {0};
    // Elements keep coming until the test says stop: the batch cannot finish first.
    QFuture<void> batch = pool.createTasks(std::views::iota(0, 10'000'000), [&](int) {
        ++calls;
        if (release.load())
            throw ElementError(0);
        busyFor(50us);
    });
    QTRY_VERIFY(calls.load() > 0);
    // A task submitted after the batch, and a timer of the pool thread, both run meanwhile.
    QFuture<QString> task = pool.createTask([] { return QThread::currentThread()->objectName(); });
    QCOMPARE(task.result(), QStringLiteral("batch-yield"));
    QFuture<int> timer = pool.createTask([] {
        auto promise = std::make_shared<QPromise<int>>();
        promise->start();
        QTimer::singleShot(5, [promise] {
            promise->addResult(42);
            promise->finish();
        });
        return promise->future();
    });
    QCOMPARE(timer.result(), 42);
    QVERIFY(!batch.isFinished());
    release.store(true);
    QVERIFY_THROWS_EXCEPTION(ElementError, batch.waitForFinished());
    pool.stop();
}

void tst_Batch::stopLetsBatchFinish()
{
    BlockingThreadedTaskPool pool(named("batch-stop"));
    pool.start();
    const int n = 2000;
    QFuture<int> future = pool.createTasks(std::views::iota(0, n), [](int i) {
        busyFor(200us); // ~0.4 s: several slices, still running when stop() begins
        return i;
    });
    pool.stop();
    QVERIFY(future.isFinished());
    QVERIFY(!future.isCanceled());
    QCOMPARE(future.resultCount(), n);
    QCOMPARE(future.resultAt(n - 1), n - 1);
}

void tst_Batch::stopGraceCancelsBatch()
{
    BlockingThreadedTaskPool pool(named("batch-grace"));
    pool.start();
    std::atomic<int> calls {0};
    const int n = 1'000'000; // ~1000 s of work
    QFuture<int> future = pool.createTasks(std::views::iota(0, n), [&calls](int i) {
        ++calls;
        busyFor(1ms);
        return i;
    });
    QTRY_VERIFY(calls.load() > 0);
    pool.stop(50ms);
    QVERIFY(future.isFinished());
    QVERIFY(future.isCanceled());
    QVERIFY(calls.load() < n);
    QCOMPARE(pool.status()->canceled(), 1);
}

void tst_Batch::batchIsOneTaskForSizeAndStatus()
{
    PoolOptions options = named("batch-size");
    options.size = 1;
    BlockingThreadedTaskPool pool(options);
    pool.start();
    std::atomic<bool> release {false};
    std::atomic<int> calls {0};
    QFuture<void> batch = pool.createTasks(std::views::iota(0, 10'000'000), [&](int) {
        ++calls;
        if (release.load())
            throw ElementError(0);
        busyFor(50us);
    });
    QTRY_VERIFY(calls.load() > 0);
    std::atomic<bool> taskRan {false};
    QFuture<void> task = pool.createTask([&taskRan] { taskRan = true; });
    QTRY_COMPARE(pool.status()->pending(), 1); // the task waits for the batch's slot
    QCOMPARE(pool.status()->running(), 1);
    QVERIFY(!taskRan.load());
    release.store(true);
    QVERIFY_THROWS_EXCEPTION(ElementError, batch.waitForFinished());
    task.waitForFinished();
    QVERIFY(taskRan.load());
    pool.stop();
    QCOMPARE(pool.status()->submitted(), 2);
    QCOMPARE(pool.status()->failed(), 1);
    QCOMPARE(pool.status()->completed(), 1);
}

void tst_Batch::batchIsOneEntryOfMaxPending()
{
    PoolOptions options = named("batch-full");
    options.size = 1;
    options.maxPending = 1;
    BlockingThreadedTaskPool pool(options);
    pool.start();
    QSemaphore started;
    QSemaphore release;
    QFuture<void> blocker = pool.createTask([&] {
        started.release();
        release.acquire();
    });
    started.acquire();
    QFuture<int> batch = pool.createTasks(std::views::iota(0, 1000), [](int i) { return i; });
    QVERIFY_THROWS_EXCEPTION(
        PoolFullError, (void)pool.createTasks(std::views::iota(0, 10), [](int i) { return i; }));
    release.release();
    QCOMPARE(batch.results().size(), 1000);
    pool.stop();
    QCOMPARE(pool.status()->rejected(), 1);
}

void tst_Batch::asyncPoolBatchWithContinuation()
{
    AsyncThreadedTaskPool pool(named("batch-async"));
    pool.start().waitForFinished();
    QList<int> seen;
    bool done = false;
    QFuture<void> chained = pool.createTasks(std::views::iota(1, 101), [](int i) { return i * i; })
                                .then(this, [&](QFuture<int> f) {
                                    seen = f.results();
                                    done = true;
                                });
    QTRY_VERIFY(done);
    QVERIFY(chained.isFinished());
    QCOMPARE(seen.size(), 100);
    QCOMPARE(seen.front(), 1);
    QCOMPARE(seen.back(), 10'000);
    pool.stop().waitForFinished();
}

void tst_Batch::submittingToStoppedPoolThrows()
{
    BlockingThreadedTaskPool blocking(named("batch-stopped"));
    QVERIFY_THROWS_EXCEPTION(
        NotRunningError,
        (void)blocking.createTasks(std::views::iota(0, 3), [](int i) { return i; }));
    AsyncThreadedTaskPool async(named("batch-stopped-async"));
    QVERIFY_THROWS_EXCEPTION(
        NotRunningError, (void)async.createTasks(std::views::iota(0, 3), [](int i) { return i; }));
}

QTEST_GUILESS_MAIN(tst_Batch)
#include "tst_batch.moc"
