// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// Fault injection: contexts that fail on the way out, tasks that never finish, a task that
// blocks the pool thread, pools destroyed while busy, stops racing submissions, and maxPending
// under contention. Each test checks that every future still finishes, the status balances and
// the pool's thread is gone afterwards.

#include <tasktools/tasktools.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QPointer>
#include <QtCore/QPromise>
#include <QtCore/QSemaphore>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include <atomic>
#include <memory>
#include <vector>

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

struct FaultError : std::runtime_error
{
    explicit FaultError(int c) : std::runtime_error("injected fault"), code(c) { }
    int code;
};

// An asynchronous task whose inner future never finishes by itself and ignores cancellation,
// like a producer that lost track of its promise. The test keeps the promise alive and may
// finish it later (or let its destructor do so).
struct Stuck
{
    std::shared_ptr<QPromise<int>> promise = std::make_shared<QPromise<int>>();
    std::shared_ptr<std::atomic<bool>> started = std::make_shared<std::atomic<bool>>(false);

    auto task()
    {
        return [p = promise, s = started] {
            p->start();
            s->store(true);
            return p->future();
        };
    }
};

// Per-pool-thread home for producers: created by a context's enter on the pool thread and
// deleted by its exit there, so no timer outlives the thread (which would leak).
struct ProducerHome
{
    std::shared_ptr<QPointer<QObject>> object = std::make_shared<QPointer<QObject>>();
    std::shared_ptr<QPointer<QThread>> thread = std::make_shared<QPointer<QThread>>();

    template<typename Pool>
    void install(Pool &pool)
    {
        pool.addContext(
            [o = object, t = thread] {
                *o = new QObject;
                *t = QThread::currentThread();
            },
            [o = object] { delete o->data(); });
    }

    // The run's thread has ended: its QThread was deleted, or is kept (finished) by the pool
    // until the next start().
    bool threadEnded() const { return thread->isNull() || thread->data()->isFinished(); }

    // An asynchronous task body: `value` after `ms`, on the pool thread.
    QFuture<int> delayed(int ms, int value) const
    {
        auto promise = std::make_shared<QPromise<int>>();
        promise->start();
        auto *timer = new QTimer(object->data());
        timer->setSingleShot(true);
        QObject::connect(timer, &QTimer::timeout, timer, [promise, value, timer] {
            promise->addResult(value);
            promise->finish();
            timer->deleteLater();
        });
        timer->start(ms);
        return promise->future();
    }
};

template<typename T>
bool finishesWithin(const QFuture<T> &future, int ms)
{
    QElapsedTimer clock;
    clock.start();
    while (!future.isFinished() && clock.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QThread::yieldCurrentThread();
    }
    return future.isFinished();
}

// How a future ended, given Qt 6.4's "failed also reports canceled".
enum class End { Result, Failed, TimedOut, Canceled, Pending };

template<typename T>
End endOf(const QFuture<T> &future)
{
    if (!future.isFinished())
        return End::Pending;
    try {
        QFuture<T>(future).waitForFinished(); // rethrows the task's exception
    } catch (const TimeoutError &) {
        return End::TimedOut;
    } catch (...) {
        return End::Failed;
    }
    if (future.isCanceled())
        return End::Canceled;
    return End::Result;
}

// The blocking run() calls now waiting for room in `pool` (a test hook: nothing public shows
// them, they hold no place in the buffer).
int roomWaiters(const BlockingThreadedTaskPool &pool)
{
    return Detail::PoolHandle::roomWaitersForTesting(pool.status());
}

void verifyBalanced(const PoolStatus *s)
{
    QCOMPARE(s->submitted(), s->completed() + s->failed() + s->timedOut() + s->canceled());
    QCOMPARE(s->pending(), 0);
    QCOMPARE(s->running(), 0);
    QVERIFY(!s->isActive());
}

} // namespace

class tst_Faults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void throwingExitStillJoinsAndReports();
    void throwingExitFailsAsyncStopFuture();
    void neverFinishingTaskEndsAtGrace();
    void neverFinishingTaskEndsAtGraceAsync();
    void timedOutTaskIgnoringCancellationIsHarmless();
    void endedTaskReleasesItsCallable_data();
    void endedTaskReleasesItsCallable();
    void blockedPoolThreadDelaysButBreaksNothing();
    void graceThatExpiredWhileBlockedInvokesNothingMore_data();
    void graceThatExpiredWhileBlockedInvokesNothingMore();
    void innerFinishedBeforeTheTimeoutIsProcessedCompletes();
    void destroyRunningAsyncPoolFromOwnerThread();
    void destroyAsyncPoolWhileContextEnters();
    void submittingWhileAnotherThreadStops_data();
    void submittingWhileAnotherThreadStops();
    void maxPendingIsExactUnderContention();
    void runCallersWaitingForRoomAllProceed();
    void runWaitingForRoomThrowsWhenPoolStops();
    void runWaitingForRoomDoesNotJoinTheNextRun();
    void blockingStopReturnsWhileAnotherThreadRestarts();
};

void tst_Faults::throwingExitStillJoinsAndReports()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("exit-throws"), .size = 2});
    ProducerHome home;
    home.install(pool);
    auto order = std::make_shared<std::vector<int>>();
    // Contexts exit in reverse: 3 (fine), 2 (throws 2), 1 (throws 1); the first error wins and
    // the remaining exits still run.
    pool.addContext([] {},
                    [order] {
                        order->push_back(1);
                        throw FaultError(1);
                    });
    pool.addContext([] {},
                    [order] {
                        order->push_back(2);
                        throw FaultError(2);
                    });
    pool.addContext([] {}, [order] { order->push_back(3); });
    for (int round = 0; round < 2; ++round) {
        pool.start();
        std::vector<QFuture<int>> futures;
        for (int i = 0; i < 50; ++i)
            futures.push_back(pool.createTask([&home, i] { return home.delayed(i % 3, i); }));
        try {
            pool.stop();
            QFAIL("stop() did not rethrow the exit's exception");
        } catch (const FaultError &e) {
            QCOMPARE(e.code, 2);
        }
        QCOMPARE(*order, (std::vector<int> {3, 2, 1}));
        order->clear();
        QVERIFY(home.threadEnded()); // the run's thread was joined
        QVERIFY(home.object->isNull()); // and the home context's exit ran too
        for (int i = 0; i < 50; ++i)
            QCOMPARE(futures[std::size_t(i)].result(), i); // drained before the contexts exit
        verifyBalanced(pool.status());
        QCOMPARE(pool.status()->completed(), 50 * (round + 1));
    }
}

void tst_Faults::throwingExitFailsAsyncStopFuture()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("async-exit-throws")});
    ProducerHome home;
    home.install(pool);
    pool.addContext([] {}, [] { throw FaultError(7); });
    QSignalSpy stopped(&pool, &AsyncThreadedTaskPool::stopped);
    QVERIFY(finishesWithin(pool.start(), 10000));
    QFuture<int> task = pool.createTask([&home] { return home.delayed(5, 42); });
    QFuture<void> stopping = pool.stop();
    QVERIFY(finishesWithin(stopping, 10000));
    QVERIFY_THROWS_EXCEPTION(FaultError, stopping.waitForFinished());
    QCOMPARE(task.result(), 42);
    QTRY_COMPARE(stopped.size(), 1);
    QTRY_VERIFY(home.threadEnded());
    verifyBalanced(pool.status());
    // The failed exit does not poison the next run.
    QVERIFY(finishesWithin(pool.start(), 10000));
    QCOMPARE(pool.createTask([] { return 5; }).result(), 5);
    QFuture<void> again = pool.stop();
    QVERIFY(finishesWithin(again, 10000));
    QVERIFY_THROWS_EXCEPTION(FaultError, again.waitForFinished());
}

void tst_Faults::neverFinishingTaskEndsAtGrace()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("stuck-grace"), .size = 1});
    ProducerHome home;
    home.install(pool);
    pool.start();
    Stuck stuck;
    QFuture<int> stuckFuture = pool.createTask(stuck.task());
    auto invoked = std::make_shared<std::atomic<int>>(0);
    std::vector<QFuture<int>> buffered;
    for (int i = 0; i < 20; ++i) {
        buffered.push_back(pool.createTask([invoked, i] {
            invoked->fetch_add(1);
            return i;
        }));
    }
    QTRY_VERIFY(stuck.started->load());
    QElapsedTimer clock;
    clock.start();
    pool.stop(150ms);
    QVERIFY2(clock.elapsed() >= 140, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(endOf(stuckFuture), End::Canceled);
    QVERIFY(stuck.promise->future().isCanceled()); // the inner future was asked to stop
    for (const auto &f : buffered)
        QCOMPARE(endOf(f), End::Canceled);
    QCOMPARE(invoked->load(), 0);
    QVERIFY(home.threadEnded());
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->canceled(), 21);
    // The producer finishing much later, after the run ended, changes nothing.
    stuck.promise->addResult(1);
    stuck.promise->finish();
    QCOMPARE(endOf(stuckFuture), End::Canceled);
    QCOMPARE(pool.status()->canceled(), 21);
    // And the pool is fine for another run.
    pool.start();
    QCOMPARE(pool.run([] { return 3; }), 3);
    pool.stop(0ms);
    verifyBalanced(pool.status());
}

void tst_Faults::neverFinishingTaskEndsAtGraceAsync()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("stuck-grace-async"), .size = 2});
    QVERIFY(finishesWithin(pool.start(), 10000));
    std::vector<Stuck> stuck(4);
    std::vector<QFuture<int>> futures;
    for (auto &s : stuck)
        futures.push_back(pool.createTask(s.task()));
    QFuture<void> stopping = pool.stop(50ms);
    QVERIFY(finishesWithin(stopping, 20000));
    stopping.waitForFinished(); // no exception
    for (const auto &f : futures)
        QCOMPARE(endOf(f), End::Canceled);
    QVERIFY(stuck[0].started->load() && stuck[1].started->load());
    QVERIFY(!stuck[2].started->load() && !stuck[3].started->load()); // buffered: never invoked
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->canceled(), 4);
    // `stuck` goes out of scope here: the promises' destructors finish the inner futures after
    // the run ended, which must be harmless.
}

void tst_Faults::timedOutTaskIgnoringCancellationIsHarmless()
{
    BlockingThreadedTaskPool pool(
        {.name = QStringLiteral("stuck-timeout"), .size = 1, .timeout = 50ms});
    pool.start();
    Stuck stuck;
    QFuture<int> stuckFuture = pool.createTask(stuck.task());
    QFuture<int> next = pool.createTask([] { return 9; });
    QVERIFY(finishesWithin(stuckFuture, 20000));
    QCOMPARE(endOf(stuckFuture), End::TimedOut);
    QCOMPARE(next.result(), 9); // the slot was freed although the producer ignored the cancel
    QVERIFY(stuck.promise->future().isCanceled());
    stuck.promise->addResult(1); // ignored: the inner future was canceled
    stuck.promise->finish();
    QCOMPARE(pool.run([] { return 10; }), 10);
    pool.stop();
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->timedOut(), 1);
    QCOMPARE(pool.status()->completed(), 2);
}

void tst_Faults::endedTaskReleasesItsCallable_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("timeout") << QStringLiteral("timeout");
    QTest::newRow("caller cancel") << QStringLiteral("cancel");
    QTest::newRow("stop grace") << QStringLiteral("grace");
}

// Regression: the callable lived as long as its task record, and the record as long as the
// inner future's continuation. When the callable owned the inner future's only producer and
// the task ended without that future finishing (timeout, cancel, grace), the three kept one
// another alive forever: a leak per such task.
void tst_Faults::endedTaskReleasesItsCallable()
{
    QFETCH(QString, how);
    BlockingThreadedTaskPool pool({.name = QStringLiteral("release-callable"),
                                   .timeout = how == QStringLiteral("timeout") ? 30ms : 0ms});
    pool.start();
    auto producer = std::make_shared<QPromise<int>>();
    std::weak_ptr<QPromise<int>> watch = producer;
    auto started = std::make_shared<std::atomic<bool>>(false);
    QFuture<int> f = pool.createTask([p = std::move(producer), started] {
        p->start();
        started->store(true);
        return p->future(); // never finished by anyone: only the callable owns the promise
    });
    QTRY_VERIFY(started->load());
    if (how == QStringLiteral("cancel"))
        f.cancel();
    if (how == QStringLiteral("grace"))
        pool.stop(10ms);
    QVERIFY(finishesWithin(f, 20000));
    QCOMPARE(endOf(f), how == QStringLiteral("timeout") ? End::TimedOut : End::Canceled);
    QTRY_VERIFY(watch.expired()); // released by the pool thread once the task ended
    if (pool.isRunning())
        pool.stop();
    verifyBalanced(pool.status());
}

void tst_Faults::blockedPoolThreadDelaysButBreaksNothing()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("blocked"), .size = 4, .timeout = 200ms});
    ProducerHome home;
    home.install(pool);
    pool.start();
    std::atomic<bool> blocking {false};
    QSemaphore blockerStarted;
    QFuture<int> blocker = pool.createTask([&] {
        blocking = true;
        blockerStarted.release();
        QThread::msleep(1000); // the fault: a synchronous task hogging the pool thread
        blocking = false;
        return -1;
    });
    QVERIFY(blockerStarted.tryAcquire(1, 20000));
    // Submitting never blocks, even while the pool thread is stuck.
    std::vector<QFuture<int>> futures;
    int submittedWhileBlocked = 0;
    for (int i = 0; i < 400; ++i) {
        if (i % 2)
            futures.push_back(pool.createTask([i] { return i; }));
        else
            futures.push_back(pool.createTask([&home, i] { return home.delayed(1, i); }));
        if (blocking.load())
            ++submittedWhileBlocked;
    }
    QVERIFY(submittedWhileBlocked > 0);
    auto invoked = std::make_shared<std::atomic<bool>>(false);
    QFuture<int> dropped = pool.createTask([invoked] {
        invoked->store(true);
        return 0;
    });
    dropped.cancel(); // caller cancels a task queued behind the blocker
    Stuck stuck;
    QFuture<int> timesOut = pool.createTask(stuck.task());
    QCOMPARE(blocker.result(), -1);
    for (int i = 0; i < 400; ++i)
        QCOMPARE(futures[std::size_t(i)].result(), i);
    // The timeout counts from the task's start, after the block, and still works.
    QVERIFY(finishesWithin(timesOut, 20000));
    QCOMPARE(endOf(timesOut), End::TimedOut);
    pool.stop();
    QCOMPARE(endOf(dropped), End::Canceled);
    QVERIFY(!invoked->load());
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->completed(), 401);
    QCOMPARE(pool.status()->timedOut(), 1);
    QCOMPARE(pool.status()->canceled(), 1);
}

void tst_Faults::graceThatExpiredWhileBlockedInvokesNothingMore_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("size 1") << 1; // the rest waits in the buffer behind the blocker
    QTest::newRow("unlimited") << 0; // the rest is started by the same drain, right after it
}

// Regression: the grace deadline was only looked at by a timer, so once a blocking task
// returned after the deadline, the engine went on starting buffered tasks before that timer
// could fire.
void tst_Faults::graceThatExpiredWhileBlockedInvokesNothingMore()
{
    QFETCH(int, size);
    BlockingThreadedTaskPool pool({.name = QStringLiteral("grace-blocked"), .size = size});
    pool.start();
    QSemaphore gate;
    QSemaphore blockerStarted;
    auto invoked = std::make_shared<std::atomic<int>>(0);
    // Submitted together, so that one drain holds them all.
    std::vector<QFuture<int>> rest;
    QFuture<int> blocker;
    {
        QSemaphore hold;
        QFuture<void> holder = pool.createTask([&hold] { hold.acquire(); });
        blocker = pool.createTask([&] {
            blockerStarted.release();
            gate.acquire(); // blocks the pool thread until the grace has passed
            return -1;
        });
        for (int i = 0; i < 50; ++i) {
            rest.push_back(pool.createTask([invoked, i] {
                invoked->fetch_add(1);
                return i;
            }));
        }
        hold.release();
    }
    QVERIFY(blockerStarted.tryAcquire(1, 20000));
    std::unique_ptr<QThread> stopper(QThread::create([&] { pool.stop(50ms); }));
    stopper->start();
    QTRY_VERIFY(!pool.isRunning());
    QThread::msleep(150); // the fault: the pool thread stays blocked well past the grace
    gate.release();
    QVERIFY(stopper->wait(20000));
    QCOMPARE(blocker.result(), -1); // a synchronous task cannot be interrupted
    QCOMPARE(invoked->load(), 0);
    for (const auto &f : rest)
        QCOMPARE(endOf(f), End::Canceled);
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->canceled(), 50);
}

// Regression: an inner future that finished before its deadline, while the pool thread was
// busy, must complete its task. Here a blocking task holds the thread until both the inner
// future's timer (due after 2 ms) and the timeout (100 ms) are overdue; the event loop then
// fires both in one pass, and the timeout used to win over the completion still queued.
void tst_Faults::innerFinishedBeforeTheTimeoutIsProcessedCompletes()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("late-completion"), .timeout = 100ms});
    ProducerHome home;
    home.install(pool);
    pool.start();
    for (int round = 0; round < 3; ++round) {
        QSemaphore hold;
        // Holds the pool thread until the two tasks below are queued, so that one drain starts
        // them back to back.
        QFuture<void> holder = pool.createTask([&hold] { hold.acquire(); });
        QFuture<int> inner = pool.createTask([&home] { return home.delayed(2, 7); });
        QFuture<int> blocker = pool.createTask([] {
            QThread::msleep(200); // the fault: past both the inner timer and the deadline
            return -1;
        });
        hold.release();
        QVERIFY(finishesWithin(inner, 20000));
        QCOMPARE(endOf(inner), End::Result);
        QCOMPARE(inner.result(), 7);
        QCOMPARE(blocker.result(), -1);
    }
    pool.stop();
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->timedOut(), 0);
}

void tst_Faults::destroyRunningAsyncPoolFromOwnerThread()
{
    auto *pool = new AsyncThreadedTaskPool({.name = QStringLiteral("destroyed"), .size = 3});
    ProducerHome home;
    home.install(*pool);
    QPointer<PoolStatus> status = pool->status();
    int signalsAfterDeath = 0;
    QObject receiver;
    bool poolAlive = true;
    connect(pool, &AsyncThreadedTaskPool::started, &receiver, [&] {
        if (!poolAlive)
            ++signalsAfterDeath;
    });
    connect(pool, &AsyncThreadedTaskPool::stopped, &receiver, [&] {
        if (!poolAlive)
            ++signalsAfterDeath;
    });
    QFuture<void> started = pool->start(); // not waited for: the loop has not run it yet
    std::vector<QFuture<int>> futures;
    for (int i = 0; i < 300; ++i) {
        if (i % 3 == 0)
            futures.push_back(pool->createTask([&home, i] { return home.delayed(2, i); }));
        else
            futures.push_back(pool->createTask([i] { return i; }));
    }
    delete pool; // drains: blocks this (owner) thread until the run ended
    poolAlive = false;
    QVERIFY(status.isNull());
    QVERIFY(home.thread->isNull());
    QVERIFY(home.object->isNull());
    QVERIFY(started.isFinished());
    for (int i = 0; i < 300; ++i)
        QCOMPARE(futures[std::size_t(i)].result(), i);
    // Queued signals and status updates for the dead pool are discarded, not delivered.
    QCoreApplication::sendPostedEvents();
    QCoreApplication::processEvents();
    QCOMPARE(signalsAfterDeath, 0);
}

void tst_Faults::destroyAsyncPoolWhileContextEnters()
{
    auto *pool = new AsyncThreadedTaskPool({.name = QStringLiteral("destroyed-entering")});
    auto exited = std::make_shared<std::atomic<bool>>(false);
    // An asynchronous enter, finished by a timer on the pool thread a little later.
    pool->addContext(
        [] {
            auto promise = std::make_shared<QPromise<void>>();
            promise->start();
            auto *timer = new QTimer;
            timer->setSingleShot(true);
            QObject::connect(timer, &QTimer::timeout, timer, [promise, timer] {
                promise->finish();
                delete timer;
            });
            timer->start(30);
            return promise->future();
        },
        [exited] { exited->store(true); });
    QFuture<void> started = pool->start();
    QFuture<int> task = pool->createTask([] { return 11; });
    delete pool;
    QVERIFY(started.isFinished());
    QVERIFY(!started.isCanceled());
    QCOMPARE(task.result(), 11);
    QVERIFY(exited->load());
}

void tst_Faults::submittingWhileAnotherThreadStops_data()
{
    QTest::addColumn<bool>("async");
    QTest::addColumn<int>("graceMs"); // -1: stop() without grace
    QTest::newRow("blocking, drain") << false << -1;
    QTest::newRow("blocking, grace 0") << false << 0;
    QTest::newRow("async, drain") << true << -1;
    QTest::newRow("async, grace 1 ms") << true << 1;
}

void tst_Faults::submittingWhileAnotherThreadStops()
{
    QFETCH(bool, async);
    QFETCH(int, graceMs);
    constexpr int Submitters = 4;
    constexpr int Rounds = 20;
    BlockingThreadedTaskPool blockingPool({.name = QStringLiteral("stop-race"), .size = 2});
    AsyncThreadedTaskPool asyncPool({.name = QStringLiteral("stop-race-async"), .size = 2});
    qint64 accepted = 0;
    for (int round = 0; round < Rounds; ++round) {
        if (async)
            QVERIFY(finishesWithin(asyncPool.start(), 20000));
        else
            blockingPool.start();
        QSemaphore go;
        std::atomic<int> rejectedAfterStop {0};
        std::atomic<bool> unexpectedCancel {false};
        std::vector<std::vector<QFuture<int>>> futures(Submitters);
        std::vector<std::unique_ptr<QThread>> threads;
        for (int t = 0; t < Submitters; ++t) {
            threads.emplace_back(QThread::create([&, t] {
                go.acquire();
                for (int i = 0;; ++i) {
                    try {
                        if (async)
                            futures[std::size_t(t)].push_back(
                                asyncPool.createTask([i] { return i; }));
                        else if (i % 8 == 7)
                            futures[std::size_t(t)].push_back(
                                QtFuture::makeReadyFuture(blockingPool.run([i] { return i; })));
                        else
                            futures[std::size_t(t)].push_back(
                                blockingPool.createTask([i] { return i; }));
                    } catch (const NotRunningError &) {
                        rejectedAfterStop.fetch_add(1);
                        return; // once stopped, the pool stays stopped for this round
                    } catch (const CanceledError &) {
                        // a run() whose task a grace stop dropped: stands in as canceled
                        futures[std::size_t(t)].push_back(QFuture<int>());
                        if (graceMs < 0)
                            unexpectedCancel.store(true);
                    }
                }
            }));
            threads.back()->start();
        }
        go.release(Submitters);
        QTRY_VERIFY(blockingPool.status()->submitted() + asyncPool.status()->submitted()
                    > accepted + 50);
        if (async) {
            QFuture<void> stopping =
                graceMs < 0 ? asyncPool.stop() : asyncPool.stop(std::chrono::milliseconds(graceMs));
            QVERIFY(finishesWithin(stopping, 20000));
        } else if (graceMs < 0) {
            blockingPool.stop();
        } else {
            blockingPool.stop(std::chrono::milliseconds(graceMs));
        }
        for (auto &thread : threads)
            QVERIFY(thread->wait(20000));
        QCOMPARE(rejectedAfterStop.load(), Submitters);
        QVERIFY(!unexpectedCancel.load());
        for (const auto &list : futures) {
            for (std::size_t i = 0; i < list.size(); ++i) {
                const QFuture<int> &f = list[i];
                QVERIFY(f.isFinished()); // nothing accepted is left pending
                if (graceMs < 0)
                    QCOMPARE(f.result(), int(i)); // a plain stop drains everything
                else if (endOf(f) == End::Result)
                    QCOMPARE(f.result(), int(i));
                else
                    QCOMPARE(endOf(f), End::Canceled);
                ++accepted; // a run() that threw CanceledError was accepted too
            }
        }
        const PoolStatus *s = async ? asyncPool.status() : blockingPool.status();
        verifyBalanced(s);
        QCOMPARE(blockingPool.status()->submitted() + asyncPool.status()->submitted(), accepted);
    }
}

void tst_Faults::maxPendingIsExactUnderContention()
{
    constexpr int MaxPending = 16;
    constexpr int Threads = 8;
    constexpr int Attempts = 50;
    BlockingThreadedTaskPool pool(
        {.name = QStringLiteral("full"), .size = 1, .maxPending = MaxPending});
    pool.start();
    Stuck gate;
    QFuture<int> running = pool.createTask(gate.task());
    QTRY_COMPARE(pool.status()->running(), 1);
    auto invoked = std::make_shared<std::atomic<int>>(0);
    std::atomic<int> accepted {0};
    std::atomic<int> full {0};
    QSemaphore go;
    std::vector<std::unique_ptr<QThread>> threads;
    std::vector<std::vector<QFuture<int>>> futures(Threads);
    for (int t = 0; t < Threads; ++t) {
        threads.emplace_back(QThread::create([&, t] {
            go.acquire();
            for (int i = 0; i < Attempts; ++i) {
                try {
                    futures[std::size_t(t)].push_back(pool.createTask([invoked] {
                        invoked->fetch_add(1);
                        return 1;
                    }));
                    accepted.fetch_add(1);
                } catch (const PoolFullError &) {
                    full.fetch_add(1);
                }
            }
        }));
        threads.back()->start();
    }
    go.release(Threads);
    for (auto &thread : threads)
        QVERIFY(thread->wait(20000));
    // With the only slot held, exactly maxPending tasks fit; every other attempt was refused
    // and its callable was never taken.
    QCOMPARE(accepted.load(), MaxPending);
    QCOMPARE(full.load(), Threads * Attempts - MaxPending);
    QCOMPARE(pool.status()->rejected(), qint64(full.load()));
    QCOMPARE(pool.status()->pending(), MaxPending);
    QCOMPARE(invoked->load(), 0);
    gate.promise->addResult(0);
    gate.promise->finish();
    pool.stop();
    QCOMPARE(invoked->load(), MaxPending);
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->submitted(), MaxPending + 1);
}

void tst_Faults::runCallersWaitingForRoomAllProceed()
{
    // Blocking run() callers and createTask() spammers share a tiny buffer: every run() must
    // eventually get its turn (a lost wake-up would hang it), every refusal must be a clean
    // PoolFullError.
    static constexpr int Runners = 4;
    static constexpr int Spammers = 2;
    static constexpr int Calls = 300;
    BlockingThreadedTaskPool pool({.name = QStringLiteral("room"), .size = 1, .maxPending = 1});
    pool.start();
    std::atomic<qint64> sum {0};
    std::atomic<int> fullErrors {0};
    std::atomic<int> spammed {0};
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < Runners; ++t) {
        threads.emplace_back(QThread::create([&, t] {
            for (int i = 0; i < Calls; ++i)
                sum.fetch_add(pool.run([t, i] { return t * Calls + i; }));
        }));
    }
    std::atomic<bool> runnersDone {false};
    for (int t = 0; t < Spammers; ++t) {
        threads.emplace_back(QThread::create([&] {
            while (!runnersDone.load()) {
                try {
                    (void)pool.createTask([] { return 0; });
                    spammed.fetch_add(1);
                } catch (const PoolFullError &) {
                    fullErrors.fetch_add(1);
                    QThread::yieldCurrentThread();
                }
            }
        }));
    }
    for (auto &thread : threads)
        thread->start();
    for (int t = 0; t < Runners; ++t)
        QVERIFY2(threads[std::size_t(t)]->wait(120000), "a run() waiting for room never woke");
    runnersDone = true;
    for (auto &thread : threads)
        QVERIFY(thread->wait(20000));
    const qint64 n = Runners * Calls;
    QCOMPARE(sum.load(), n * (n - 1) / 2);
    pool.stop();
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->rejected(), qint64(fullErrors.load()));
    QCOMPARE(pool.status()->completed(), n + spammed.load());
}

void tst_Faults::runWaitingForRoomThrowsWhenPoolStops()
{
    BlockingThreadedTaskPool pool(
        {.name = QStringLiteral("room-stop"), .size = 1, .maxPending = 1});
    pool.start();
    Stuck gate;
    QFuture<int> running = pool.createTask(gate.task());
    QTRY_COMPARE(pool.status()->running(), 1);
    QFuture<int> buffered = pool.createTask([] { return 1; });
    constexpr int Waiters = 4;
    auto invoked = std::make_shared<std::atomic<int>>(0);
    std::atomic<int> notRunning {0};
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < Waiters; ++t) {
        threads.emplace_back(QThread::create([&] {
            try {
                (void)pool.run([invoked] { return invoked->fetch_add(1); });
            } catch (const NotRunningError &e) {
                QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("is not running")));
                notRunning.fetch_add(1);
            }
        }));
        threads.back()->start();
    }
    // The waiters do not count as submitted: they hold no place in the buffer.
    QTRY_COMPARE(roomWaiters(pool), Waiters);
    QCOMPARE(pool.status()->submitted(), 2);
    pool.stop(20ms); // cancels the stuck task and the buffered one
    for (auto &thread : threads)
        QVERIFY(thread->wait(20000));
    QCOMPARE(notRunning.load(), Waiters);
    QCOMPARE(invoked->load(), 0);
    QCOMPARE(endOf(running), End::Canceled);
    QCOMPARE(endOf(buffered), End::Canceled);
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->submitted(), 2);
}

// Regression: a run() waiting for room is woken by stop(), but used to look only at "is the
// pool accepting now?", so a start() that came before it got the lock let it slip into the
// next run instead of throwing NotRunningError.
void tst_Faults::runWaitingForRoomDoesNotJoinTheNextRun()
{
    BlockingThreadedTaskPool pool(
        {.name = QStringLiteral("room-restart"), .size = 1, .maxPending = 1});
    constexpr int Waiters = 6;
    constexpr int Rounds = 40;
    int slipped = 0;
    for (int round = 0; round < Rounds; ++round) {
        pool.start();
        Stuck gate;
        QFuture<int> running = pool.createTask(gate.task());
        QTRY_COMPARE(pool.status()->running(), 1);
        QFuture<int> buffered = pool.createTask([] { return 1; });
        std::atomic<int> notRunning {0};
        std::atomic<int> ran {0};
        std::atomic<int> otherErrors {0};
        std::vector<std::unique_ptr<QThread>> threads;
        for (int t = 0; t < Waiters; ++t) {
            threads.emplace_back(QThread::create([&] {
                try {
                    (void)pool.run([] { return 0; });
                    ran.fetch_add(1);
                } catch (const NotRunningError &) {
                    notRunning.fetch_add(1);
                } catch (...) {
                    otherErrors.fetch_add(1);
                }
            }));
            threads.back()->start();
        }
        // Every waiter is blocked on the full buffer of this run: none may end up in the next.
        QTRY_COMPARE(roomWaiters(pool), Waiters);
        // Another thread restarts the pool the moment the stop below has begun.
        std::unique_ptr<QThread> restarter(QThread::create([&] {
            while (pool.isRunning()) { }
            pool.start();
        }));
        restarter->start();
        // Wakes the waiters (the run they waited for is over) and cancels both tasks at once;
        // the stuck task is not finished first, or the room it made could let a waiter in
        // before the stop.
        pool.stop(0ms);
        QVERIFY(restarter->wait(20000));
        for (auto &thread : threads)
            QVERIFY(thread->wait(20000));
        slipped += ran.load();
        QCOMPARE(otherErrors.load(), 0);
        QCOMPARE(notRunning.load() + ran.load(), Waiters);
        QCOMPARE(endOf(running), End::Canceled);
        QCOMPARE(endOf(buffered), End::Canceled);
        pool.stop();
        verifyBalanced(pool.status());
    }
    QCOMPARE(slipped, 0);
}

// Regression: the blocking stop() joined whatever run was current when it got to joining; if
// another thread restarted the pool meanwhile, that was the new run, and stop() hung until
// someone stopped that one too.
void tst_Faults::blockingStopReturnsWhileAnotherThreadRestarts()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("stop-restart")});
    ProducerHome home;
    home.install(pool);
    pool.start();
    constexpr int Rounds = 200;
    for (int round = 0; round < Rounds; ++round) {
        QFuture<int> draining = pool.createTask([&home] { return home.delayed(5, 1); });
        std::unique_ptr<QThread> restarter(QThread::create([&] {
            while (pool.isRunning()) { }
            pool.start(); // may begin while the stop below still drains
        }));
        restarter->start();
        std::unique_ptr<QThread> stopper(QThread::create([&] { pool.stop(); }));
        stopper->start();
        QVERIFY2(stopper->wait(20000), "stop() waited for the next run");
        QVERIFY(restarter->wait(20000));
        QCOMPARE(draining.result(), 1);
        QVERIFY(pool.isRunning());
    }
    pool.stop();
    verifyBalanced(pool.status());
    QCOMPARE(pool.status()->completed(), Rounds);
}

QTEST_GUILESS_MAIN(tst_Faults)
#include "tst_faults.moc"
