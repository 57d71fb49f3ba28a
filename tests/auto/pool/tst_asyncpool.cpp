// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include <tasktools/tasktools.h>

#include <QtCore/QPromise>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include <atomic>
#include <memory>

#include "futures.h"

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

// Waits for a future while running this thread's event loop (as a GUI would).
template<typename T>
bool waitFor(const QFuture<T> &future, int timeoutMs = 10000)
{
    QFutureWatcher<T> watcher;
    QSignalSpy spy(&watcher, &QFutureWatcher<T>::finished);
    watcher.setFuture(future);
    return future.isFinished() || spy.wait(timeoutMs);
}

} // namespace

class tst_AsyncPool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startAndStopAreFutures();
    void signalsArriveInOwnerThread();
    void continuationsRunInReceiverThread();
    void tasksSubmittedBeforeStartCompletesRun();
    void startFailureFailsTheFuture();
    void exitFailureFailsTheStopFuture();
    void restartWhileStopping();
    void stopFromPoolThreadWorks();
    void destroyingRunningPoolDrains();
    void stopWithGraceEndsStuckTasks();
    void createTaskThrowsWhenFull();
};

void tst_AsyncPool::startAndStopAreFutures()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("async")});
    QVERIFY(!pool.isRunning());
    QFuture<void> started = pool.start();
    QVERIFY(pool.isRunning());
    QVERIFY(waitFor(started));
    QVERIFY(!started.isCanceled());
    QFuture<int> f = pool.run([] { return delayedValue(10, 3); });
    QVERIFY(waitFor(f));
    QCOMPARE(f.result(), 3);
    QFuture<void> stopped = pool.stop();
    QVERIFY(!pool.isRunning());
    QVERIFY_THROWS_EXCEPTION(NotRunningError, (void)pool.createTask([] {}));
    QVERIFY(waitFor(stopped));
    QVERIFY(!stopped.isCanceled());
    QVERIFY_THROWS_EXCEPTION(NotRunningError, (void)pool.stop());
}

void tst_AsyncPool::signalsArriveInOwnerThread()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("signals")});
    QThread *emittedIn = nullptr;
    connect(&pool, &AsyncThreadedTaskPool::started, this,
            [&emittedIn] { emittedIn = QThread::currentThread(); });
    QSignalSpy startedSpy(&pool, &AsyncThreadedTaskPool::started);
    QSignalSpy stoppedSpy(&pool, &AsyncThreadedTaskPool::stopped);
    (void)pool.start();
    QVERIFY(startedSpy.wait(10000));
    QCOMPARE(emittedIn, QThread::currentThread());
    (void)pool.stop();
    QVERIFY(stoppedSpy.wait(10000));
    QCOMPARE(startedSpy.count(), 1);
    QCOMPARE(stoppedSpy.count(), 1);
}

void tst_AsyncPool::continuationsRunInReceiverThread()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("receiver")});
    (void)pool.start();
    QObject receiver;
    QThread *ranIn = nullptr;
    QThread *taskRanIn = nullptr;
    QFuture<int> chained = pool.run([&taskRanIn] {
                                   taskRanIn = QThread::currentThread();
                                   return 5;
                               })
                               .then(&receiver, [&ranIn](int v) {
                                   ranIn = QThread::currentThread();
                                   return v * 2;
                               });
    QVERIFY(waitFor(chained));
    QCOMPARE(chained.result(), 10);
    QCOMPARE(ranIn, QThread::currentThread());
    QVERIFY(taskRanIn != QThread::currentThread());
    QVERIFY(waitFor(pool.stop()));
}

void tst_AsyncPool::tasksSubmittedBeforeStartCompletesRun()
{
    // Submitting right after start() is fine: tasks wait until the contexts are entered.
    AsyncThreadedTaskPool pool({.name = QStringLiteral("early")});
    auto entered = std::make_shared<std::atomic<bool>>(false);
    pool.addContext(
        [entered] {
            auto promise = std::make_shared<QPromise<void>>();
            promise->start();
            QTimer::singleShot(50, [promise, entered] {
                entered->store(true);
                promise->finish();
            });
            return promise->future();
        },
        [] {});
    QFuture<void> started = pool.start();
    QFuture<bool> sawContext = pool.createTask([entered] { return entered->load(); });
    QVERIFY(waitFor(sawContext));
    QVERIFY(sawContext.result());
    QVERIFY(started.isFinished());
    QVERIFY(waitFor(pool.stop()));
}

void tst_AsyncPool::startFailureFailsTheFuture()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("async-bad-enter")});
    pool.addContext([] { throw std::runtime_error("no database"); }, [] {});
    QSignalSpy startedSpy(&pool, &AsyncThreadedTaskPool::started);
    QFuture<void> started = pool.start();
    QVERIFY(waitFor(started));
    try {
        started.waitForFinished();
        QFAIL("the start future did not fail");
    } catch (const std::runtime_error &e) {
        QCOMPARE(QString::fromUtf8(e.what()), QStringLiteral("no database"));
    }
    QTRY_VERIFY(!pool.isRunning());
    QCOMPARE(startedSpy.count(), 0);
}

void tst_AsyncPool::exitFailureFailsTheStopFuture()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("async-bad-exit")});
    pool.addContext([] {}, [] { throw std::logic_error("flush failed"); });
    QVERIFY(waitFor(pool.start()));
    QFuture<void> stopped = pool.stop();
    QVERIFY(waitFor(stopped));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, stopped.waitForFinished());
}

void tst_AsyncPool::restartWhileStopping()
{
    // stop() returns at once; a start() right after it begins a new run once the old one ended.
    AsyncThreadedTaskPool pool({.name = QStringLiteral("async-restart"), .size = 1});
    auto active = std::make_shared<std::atomic<int>>(0);
    auto overlapped = std::make_shared<std::atomic<bool>>(false);
    pool.addContext(
        [active, overlapped] {
            if (active->fetch_add(1) != 0)
                overlapped->store(true); // two runs' contexts would be entered at once
        },
        [active] { active->fetch_sub(1); });
    QVERIFY(waitFor(pool.start()));
    QFuture<int> slow = pool.createTask([] { return delayedValue(200, 1); });
    QFuture<void> stopped = pool.stop();
    QFuture<void> restarted = pool.start();
    QFuture<int> next = pool.createTask([] { return 2; });
    QVERIFY(waitFor(next));
    QCOMPARE(next.result(), 2);
    QVERIFY(stopped.isFinished());
    QCOMPARE(slow.result(), 1);
    QVERIFY(restarted.isFinished());
    QVERIFY(!overlapped->load());
    QVERIFY(waitFor(pool.stop()));
    QCOMPARE(active->load(), 0);
}

void tst_AsyncPool::stopFromPoolThreadWorks()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("self-stop")});
    QVERIFY(waitFor(pool.start()));
    auto inside = std::make_shared<QFuture<void>>();
    QFuture<void> done = pool.createTask([&pool, inside] { *inside = pool.stop(); });
    QVERIFY(waitFor(done)); // the task itself completes: it is drained by the stop it began
    QVERIFY(waitFor(*inside));
    QVERIFY(!inside->isCanceled());
    QVERIFY(!pool.isRunning());
}

void tst_AsyncPool::destroyingRunningPoolDrains()
{
    QFuture<int> f;
    auto exited = std::make_shared<std::atomic<bool>>(false);
    {
        auto *parent = new QObject;
        auto *pool = new AsyncThreadedTaskPool({.name = QStringLiteral("owned")}, parent);
        pool->addContext([] {}, [exited] { exited->store(true); });
        (void)pool->start();
        f = pool->createTask([] { return delayedValue(50, 8); });
        delete parent; // destroys the pool with its parent, in the owner thread
    }
    QVERIFY(f.isFinished());
    QCOMPARE(f.result(), 8);
    QVERIFY(exited->load());
}

void tst_AsyncPool::stopWithGraceEndsStuckTasks()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("async-grace")});
    QVERIFY(waitFor(pool.start()));
    auto producer = std::make_shared<QPromise<int>>();
    QFuture<int> stuck = pool.createTask([producer] {
        producer->start();
        return producer->future();
    });
    QTRY_COMPARE(pool.status()->running(), 1);
    QFuture<void> stopped = pool.stop(50ms);
    QVERIFY(waitFor(stopped));
    QVERIFY(stuck.isFinished());
    QVERIFY(stuck.isCanceled());
    QVERIFY(producer->isCanceled()); // the inner future was canceled too
    QCOMPARE(pool.status()->canceled(), 1);
}

void tst_AsyncPool::createTaskThrowsWhenFull()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("async-full"), .size = 1, .maxPending = 1});
    QVERIFY(waitFor(pool.start()));
    auto producer = std::make_shared<QPromise<int>>();
    QFuture<int> first = pool.createTask([producer] {
        producer->start();
        return producer->future();
    });
    QTRY_COMPARE(pool.status()->running(), 1);
    QFuture<int> second = pool.run([] { return 2; });
    QVERIFY_THROWS_EXCEPTION(PoolFullError, (void)pool.run([] { return 3; }));
    producer->addResult(1);
    producer->finish();
    QVERIFY(waitFor(second));
    QCOMPARE(first.result() + second.result(), 3);
    QVERIFY(waitFor(pool.stop()));
    QCOMPARE(pool.status()->rejected(), 1);
    QCOMPARE(pool.status()->submitted(), 2);
}

QTEST_GUILESS_MAIN(tst_AsyncPool)
#include "tst_asyncpool.moc"
