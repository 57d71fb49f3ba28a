// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include <tasktools/tasktools.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QPointer>
#include <QtCore/QPromise>
#include <QtCore/QSemaphore>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include <pthread.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "futures.h"

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

struct CustomError : std::runtime_error
{
    explicit CustomError(int c) : std::runtime_error("custom failure"), code(c) { }
    int code;
};

// A handle on an asynchronous task that finishes only when the test says so (or is canceled).
struct Gate
{
    std::shared_ptr<QPromise<int>> promise = std::make_shared<QPromise<int>>();
    std::shared_ptr<std::atomic<bool>> innerCanceled = std::make_shared<std::atomic<bool>>(false);

    // The task: returns the gate's future (watching for cancellation).
    auto task()
    {
        return [p = promise, canceled = innerCanceled] {
            p->start();
            QFuture<int> f = p->future();
            // Observe cancellation from the producer side, as a real producer would.
            auto *timer = new QTimer;
            timer->setInterval(5);
            QObject::connect(timer, &QTimer::timeout, timer, [p, f, canceled, timer] {
                if (p->isCanceled() && !f.isFinished()) {
                    canceled->store(true);
                    p->finish();
                }
                if (f.isFinished())
                    delete timer;
            });
            // Nor may the timer outlive the pool thread (the run may end before it fires):
            // an object left on a finished thread is never deleted.
            QObject::connect(QThread::currentThread(), &QThread::finished, timer,
                             &QObject::deleteLater);
            timer->start();
            return f;
        };
    }
};

QString osThreadName()
{
    char buffer[32] = {};
    pthread_getname_np(pthread_self(), buffer, sizeof buffer);
    return QString::fromUtf8(buffer);
}

// A task whose callable carries N bytes, all set from `seed`: it returns their sum, which the
// caller knows, so a record that shared its memory with another live one would show.
template<std::size_t N>
QFuture<int> submitPayload(BlockingThreadedTaskPool &pool, int seed)
{
    std::array<unsigned char, N> payload;
    payload.fill(static_cast<unsigned char>(seed));
    return pool.createTask(
        [payload] { return std::accumulate(payload.begin(), payload.end(), 0); });
}

struct alignas(64) OverAligned
{
    unsigned char bytes[64] = {};
};

} // namespace

class tst_BlockingPool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runReturnsResults();
    void moveOnlyResults();
    void callablesOfEverySizeFromManyThreads();
    void overAlignedCaptureIsAligned();
    void sharedInnerFutureCompletesEveryTask();
    void createTaskReturnsFuture();
    void tasksRunOnThePoolThreadNamedAfterThePool();
    void exceptionTypeIsPreserved_data();
    void exceptionTypeIsPreserved();
    void asynchronousTaskUsesThePoolLoop();
    void asynchronousTaskFailureIsCarried();
    void innerFutureCanceledCancelsOuter();
    void sizeLimitsConcurrencyInFifoOrder_data();
    void sizeLimitsConcurrencyInFifoOrder();
    void timeoutCancelsInnerAndFailsOuter();
    void timeoutExcludesTimeInBuffer();
    void synchronousTaskOverrunStillDeliversResult();
    void contextsEnterInOrderAndExitInReverse();
    void asynchronousContexts();
    void throwingEnterUnwindsAndFailsStart();
    void throwingExitIsReportedAfterShutdown();
    void lifecycleMisuseThrows();
    void restartWorks();
    void stopDrainsBufferedAndRunningTasks();
    void destructorDrains();
    void cancelingPendingTaskDropsIt();
    void cancelingRunningAsyncTaskCancelsInner();
    void blockingCallsFromPoolThreadThrowDeadlock();
    void createTaskFromPoolThreadWorks();
    void badArgumentsThrow();
    void userContinuationOnOuterFutureRuns();
    void statusBalancesAfterStop();
    void maxPendingRejectsAndRunWaits();
    void stopWithGraceCancelsWhatRemains();
    void destroyFromPoolThreadNeitherHangsNorCrashes();
};

void tst_BlockingPool::runReturnsResults()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("results")});
    pool.start();
    QCOMPARE(pool.run([] { return 42; }), 42);
    QCOMPARE(pool.run([] { return QStringLiteral("text"); }), QStringLiteral("text"));
    bool ran = false;
    pool.run([&ran] { ran = true; });
    QVERIFY(ran);
    QCOMPARE(pool.run([] { return delayedValue(10, 7); }), 7);
    pool.stop();
}

void tst_BlockingPool::moveOnlyResults()
{
    // A result type that cannot be copied travels by move: from the task, from an inner
    // future, and through run(). (A batch's results must be copyable: a static_assert.)
    BlockingThreadedTaskPool pool({.name = QStringLiteral("move-only")});
    pool.start();
    std::unique_ptr<int> direct = pool.run([] { return std::make_unique<int>(1); });
    QVERIFY(direct);
    QCOMPARE(*direct, 1);

    QFuture<std::unique_ptr<int>> sync = pool.createTask([] { return std::make_unique<int>(2); });
    QFuture<std::unique_ptr<int>> async = pool.createTask([] {
        auto promise = std::make_shared<QPromise<std::unique_ptr<int>>>();
        promise->start();
        QTimer::singleShot(1, [promise] {
            promise->addResult(std::make_unique<int>(3));
            promise->finish();
        });
        return promise->future();
    });
    QCOMPARE(*sync.takeResult(), 2);
    QCOMPARE(*async.takeResult(), 3);
    std::unique_ptr<int> awaited = pool.run([] {
        QPromise<std::unique_ptr<int>> promise;
        promise.start();
        promise.addResult(std::make_unique<int>(4));
        promise.finish();
        return promise.future();
    });
    QVERIFY(awaited);
    QCOMPARE(*awaited, 4);

    // A move-only task failing: the exception travels as for any type.
    QFuture<std::unique_ptr<int>> failing =
        pool.createTask([]() -> std::unique_ptr<int> { throw CustomError(5); });
    QVERIFY_THROWS_EXCEPTION(CustomError, failing.waitForFinished());
    pool.stop();
}

void tst_BlockingPool::callablesOfEverySizeFromManyThreads()
{
    // Task records are recycled between the threads that submit and the pool thread that frees
    // them, by size (taskrecord.cpp). Callables of sizes on both sides of every class boundary,
    // from four threads into two pools at once: each task must see its own bytes.
    BlockingThreadedTaskPool first({.name = QStringLiteral("sizes-1")});
    BlockingThreadedTaskPool second({.name = QStringLiteral("sizes-2"), .size = 3});
    first.start();
    second.start();
    constexpr int Rounds = 400;
    std::atomic<int> wrong {0};
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t) {
        producers.emplace_back([&, t] {
            BlockingThreadedTaskPool &pool = t % 2 ? second : first;
            for (int round = 0; round < Rounds; ++round) {
                const int seed = (t * Rounds + round) % 251;
                std::vector<std::pair<QFuture<int>, int>> futures;
                futures.emplace_back(submitPayload<1>(pool, seed), seed);
                futures.emplace_back(submitPayload<8>(pool, seed), 8 * seed);
                futures.emplace_back(submitPayload<40>(pool, seed), 40 * seed);
                futures.emplace_back(submitPayload<41>(pool, seed), 41 * seed);
                futures.emplace_back(submitPayload<136>(pool, seed), 136 * seed);
                futures.emplace_back(submitPayload<200>(pool, seed), 200 * seed);
                futures.emplace_back(submitPayload<1000>(pool, seed), 1000 * seed);
                for (auto &[future, expected] : futures) {
                    if (future.result() != expected)
                        wrong.fetch_add(1);
                }
            }
        });
    }
    for (std::thread &producer : producers)
        producer.join();
    QCOMPARE(wrong.load(), 0);
    first.stop();
    second.stop();
    QCOMPARE(first.status()->completed() + second.status()->completed(), 4 * Rounds * 7);
}

void tst_BlockingPool::overAlignedCaptureIsAligned()
{
    // A callable capturing an over-aligned object keeps its alignment inside the record.
    BlockingThreadedTaskPool pool({.name = QStringLiteral("aligned")});
    pool.start();
    for (int i = 0; i < 100; ++i) {
        OverAligned value;
        value.bytes[0] = static_cast<unsigned char>(i);
        const auto [address, first] = pool.run(
            [value] { return std::pair(reinterpret_cast<quintptr>(&value), int(value.bytes[0])); });
        QCOMPARE(address % alignof(OverAligned), quintptr(0));
        QCOMPARE(first, i);
    }
    pool.stop();
}

void tst_BlockingPool::sharedInnerFutureCompletesEveryTask()
{
    // Two tasks return the same inner future: Qt keeps one continuation per future, so the
    // pool must notice the other task's completion some other way.
    BlockingThreadedTaskPool pool({.name = QStringLiteral("shared-inner")});
    pool.start();
    auto promise = std::make_shared<QPromise<int>>();
    promise->start();
    QFuture<int> shared = promise->future();
    QFuture<int> a = pool.createTask([shared] { return shared; });
    QFuture<int> b = pool.createTask([shared] { return shared; });
    QTRY_COMPARE(pool.status()->running(), 2);
    QVERIFY(!a.isFinished());
    QVERIFY(!b.isFinished());
    promise->addResult(6);
    promise->finish();
    QCOMPARE(a.result(), 6);
    QCOMPARE(b.result(), 6);
    pool.stop();
    QCOMPARE(pool.status()->completed(), 2);
}

void tst_BlockingPool::createTaskReturnsFuture()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("futures")});
    pool.start();
    std::vector<QFuture<int>> futures;
    for (int i = 0; i < 1000; ++i)
        futures.push_back(pool.createTask([i] { return i * 2; }));
    for (int i = 0; i < 1000; ++i)
        QCOMPARE(futures[i].result(), i * 2);
    QFuture<void> v = pool.createTask([] {});
    v.waitForFinished();
    QVERIFY(v.isFinished());
    QVERIFY(!v.isCanceled());
    pool.stop();
}

void tst_BlockingPool::tasksRunOnThePoolThreadNamedAfterThePool()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("worker-7")});
    pool.start();
    QThread *first = pool.run([] { return QThread::currentThread(); });
    QVERIFY(first != QThread::currentThread());
    QCOMPARE(pool.run([] { return QThread::currentThread(); }), first);
    QCOMPARE(pool.run([] { return QThread::currentThread()->objectName(); }),
             QStringLiteral("worker-7"));
    QCOMPARE(pool.run([] { return osThreadName(); }), QStringLiteral("worker-7"));
    pool.stop();
}

void tst_BlockingPool::exceptionTypeIsPreserved_data()
{
    QTest::addColumn<bool>("async");
    QTest::newRow("synchronous") << false;
    QTest::newRow("asynchronous") << true;
}

void tst_BlockingPool::exceptionTypeIsPreserved()
{
    QFETCH(bool, async);
    BlockingThreadedTaskPool pool({.name = QStringLiteral("errors")});
    pool.start();
    QFuture<int> future;
    if (async) {
        future = pool.createTask([] {
            QPromise<int> promise;
            promise.start();
            promise.setException(std::make_exception_ptr(CustomError(17)));
            promise.finish();
            return promise.future();
        });
    } else {
        future = pool.createTask([]() -> int { throw CustomError(17); });
    }
    try {
        (void)future.result();
        QFAIL("result() did not throw");
    } catch (const CustomError &e) {
        QCOMPARE(e.code, 17);
    }
    try {
        pool.run([]() -> int { throw CustomError(3); });
        QFAIL("run() did not throw");
    } catch (const CustomError &e) {
        QCOMPARE(e.code, 3);
    }
    QTRY_COMPARE(pool.status()->failed(), 2);
    pool.stop();
}

void tst_BlockingPool::asynchronousTaskUsesThePoolLoop()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("loop")});
    pool.start();
    QElapsedTimer timer;
    timer.start();
    // Ten asynchronous tasks waiting 100 ms each on the one pool thread: they overlap.
    std::vector<QFuture<int>> futures;
    for (int i = 0; i < 10; ++i)
        futures.push_back(pool.createTask([i] { return delayedValue(100, i); }));
    for (int i = 0; i < 10; ++i)
        QCOMPARE(futures[i].result(), i);
    QVERIFY2(timer.elapsed() < 900, "asynchronous tasks did not run concurrently");
    pool.stop();
}

void tst_BlockingPool::asynchronousTaskFailureIsCarried()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("async-failure")});
    pool.start();
    QFuture<int> f = pool.createTask([] {
        return delayedValue(5, 1).then(QtFuture::Launch::Sync,
                                       [](int) -> int { throw CustomError(9); });
    });
    QVERIFY_THROWS_EXCEPTION(CustomError, f.waitForFinished());
    pool.stop();
    QCOMPARE(pool.status()->failed(), 1);
}

void tst_BlockingPool::innerFutureCanceledCancelsOuter()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("inner-cancel")});
    pool.start();
    QFuture<int> f = pool.createTask([] {
        QFuture<int> inner = delayedValue(1000, 1);
        inner.cancel();
        return inner;
    });
    f.waitForFinished();
    QVERIFY(f.isCanceled());
    QVERIFY_THROWS_EXCEPTION(CanceledError, pool.run([] {
        QPromise<int> promise; // destroyed unfinished: its future ends canceled
        promise.start();
        return promise.future();
    }));
    pool.stop();
    QCOMPARE(pool.status()->canceled(), 2);
}

void tst_BlockingPool::sizeLimitsConcurrencyInFifoOrder_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("size 1") << 1;
    QTest::newRow("size 3") << 3;
    QTest::newRow("size 8") << 8;
}

void tst_BlockingPool::sizeLimitsConcurrencyInFifoOrder()
{
    QFETCH(int, size);
    BlockingThreadedTaskPool pool({.name = QStringLiteral("sized"), .size = size});
    pool.start();
    auto running = std::make_shared<int>(0); // pool thread only
    auto peak = std::make_shared<int>(0);
    auto order = std::make_shared<std::vector<int>>();
    std::vector<QFuture<int>> futures;
    for (int i = 0; i < 30; ++i) {
        futures.push_back(pool.createTask([=] {
            order->push_back(i);
            *peak = std::max(*peak, ++*running);
            return delayedValue(5 + (i * 7) % 11, i).then(QtFuture::Launch::Sync, [running](int v) {
                --*running;
                return v;
            });
        }));
    }
    for (int i = 0; i < 30; ++i)
        QCOMPARE(futures[i].result(), i);
    pool.stop();
    QCOMPARE(*peak, size);
    std::vector<int> expected(30);
    std::iota(expected.begin(), expected.end(), 0);
    QCOMPARE(*order, expected); // started in submission order
}

void tst_BlockingPool::timeoutCancelsInnerAndFailsOuter()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("timeouts"), .timeout = 50ms});
    pool.start();
    Gate gate;
    QFuture<int> f = pool.createTask(gate.task());
    try {
        f.waitForFinished();
        QFAIL("no timeout");
    } catch (const TimeoutError &e) {
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("timeouts")));
    }
    QTRY_VERIFY(gate.innerCanceled->load());
    QCOMPARE(pool.run([] { return delayedValue(1, 5); }), 5); // a quick one is unaffected
    pool.stop();
    QCOMPARE(pool.status()->timedOut(), 1);
    QCOMPARE(pool.status()->completed(), 1);
}

void tst_BlockingPool::timeoutExcludesTimeInBuffer()
{
    // size 1: the second task waits ~600 ms in the buffer, then runs ~600 ms: 1.2 s after its
    // submission, but only 600 ms after its start, within the 1.5 s timeout.
    BlockingThreadedTaskPool pool(
        {.name = QStringLiteral("buffered"), .size = 1, .timeout = 1500ms});
    pool.start();
    QElapsedTimer clock;
    clock.start();
    QFuture<int> first = pool.createTask([] { return delayedValue(600, 1); });
    QFuture<int> second = pool.createTask([] { return delayedValue(600, 2); });
    QFuture<int> third = pool.createTask([] { return delayedValue(600, 3); });
    QCOMPARE(first.result(), 1);
    QCOMPARE(second.result(), 2);
    QCOMPARE(third.result(), 3);
    QVERIFY(clock.elapsed() >= 1500); // the third one really waited longer than the timeout
    pool.stop();
    QCOMPARE(pool.status()->timedOut(), 0);
}

void tst_BlockingPool::synchronousTaskOverrunStillDeliversResult()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("overrun"), .timeout = 20ms});
    pool.start();
    const int result = pool.run([] {
        QThread::msleep(120); // the workload: a synchronous task cannot be interrupted
        return 99;
    });
    QCOMPARE(result, 99);
    pool.stop();
    QCOMPARE(pool.status()->completed(), 1);
    QCOMPARE(pool.status()->timedOut(), 0);
}

void tst_BlockingPool::contextsEnterInOrderAndExitInReverse()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("contexts")});
    auto log = std::make_shared<QStringList>();
    auto mutex = std::make_shared<std::mutex>();
    auto poolThread = std::make_shared<QThread *>(nullptr);
    auto exitedElsewhere = std::make_shared<std::atomic<bool>>(false);
    for (const QString &name : {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}) {
        pool.addContext(
            [=] {
                std::lock_guard lock(*mutex);
                *poolThread = QThread::currentThread();
                log->append(QStringLiteral("enter ") + name);
            },
            [=] {
                std::lock_guard lock(*mutex);
                if (QThread::currentThread() != *poolThread)
                    exitedElsewhere->store(true);
                log->append(QStringLiteral("exit ") + name);
            });
    }
    for (int round = 0; round < 2; ++round) {
        pool.start();
        QCOMPARE(pool.run([] { return QThread::currentThread(); }), *poolThread);
        QVERIFY(*poolThread != QThread::currentThread());
        pool.createTask([=] {
                std::lock_guard lock(*mutex);
                log->append(QStringLiteral("task"));
            })
            .waitForFinished();
        pool.stop();
    }
    const QStringList once = {QStringLiteral("enter a"), QStringLiteral("enter b"),
                              QStringLiteral("enter c"), QStringLiteral("task"),
                              QStringLiteral("exit c"),  QStringLiteral("exit b"),
                              QStringLiteral("exit a")};
    QCOMPARE(*log, once + once);
    QVERIFY(!exitedElsewhere->load());
}

void tst_BlockingPool::asynchronousContexts()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("async-contexts")});
    auto state = std::make_shared<std::atomic<int>>(0);
    pool.addContext(
        [state] {
            auto promise = std::make_shared<QPromise<void>>();
            promise->start();
            QTimer::singleShot(50, [promise, state] {
                state->store(1);
                promise->finish();
            });
            return promise->future();
        },
        [state] {
            auto promise = std::make_shared<QPromise<void>>();
            promise->start();
            QTimer::singleShot(50, [promise, state] {
                state->store(2);
                promise->finish();
            });
            return promise->future();
        });
    pool.start();
    QCOMPARE(state->load(), 1); // start() waited for the entering future
    QCOMPARE(pool.run([state] { return state->load(); }), 1);
    pool.stop();
    QCOMPARE(state->load(), 2); // stop() waited for the exiting future
}

void tst_BlockingPool::throwingEnterUnwindsAndFailsStart()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("bad-enter")});
    auto log = std::make_shared<QStringList>();
    pool.addContext([log] { log->append(QStringLiteral("enter 1")); },
                    [log] { log->append(QStringLiteral("exit 1")); });
    pool.addContext([]() { throw CustomError(5); },
                    [log] { log->append(QStringLiteral("exit 2")); });
    pool.addContext([log] { log->append(QStringLiteral("enter 3")); },
                    [log] { log->append(QStringLiteral("exit 3")); });
    try {
        pool.start();
        QFAIL("start() did not throw");
    } catch (const CustomError &e) {
        QCOMPARE(e.code, 5);
    }
    QCOMPARE(*log, (QStringList {QStringLiteral("enter 1"), QStringLiteral("exit 1")}));
    QVERIFY(!pool.isRunning());
    QVERIFY_THROWS_EXCEPTION(NotRunningError, (void)pool.createTask([] {}));
}

void tst_BlockingPool::throwingExitIsReportedAfterShutdown()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("bad-exit")});
    auto exited = std::make_shared<std::atomic<int>>(0);
    pool.addContext([] {}, [exited] { exited->fetch_add(1); });
    pool.addContext([] {}, []() { throw CustomError(8); });
    pool.start();
    QFuture<int> f = pool.createTask([] { return delayedValue(20, 4); });
    try {
        pool.stop();
        QFAIL("stop() did not rethrow the exit's exception");
    } catch (const CustomError &e) {
        QCOMPARE(e.code, 8);
    }
    QCOMPARE(exited->load(), 1); // the other context still exited
    QCOMPARE(f.result(), 4);
    QVERIFY(!pool.isRunning());
    // The shutdown completed: the pool can start again.
    pool.start();
    QCOMPARE(pool.run([] { return 1; }), 1);
    QVERIFY_THROWS_EXCEPTION(CustomError, pool.stop());
}

void tst_BlockingPool::lifecycleMisuseThrows()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("misuse")});
    QVERIFY(!pool.isRunning());
    auto expectMessage = [](const Error &e, const char *text) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(QLatin1String(text)), e.what());
        QVERIFY2(what.contains(QStringLiteral("misuse")), e.what());
        QCOMPARE(e.poolName(), QStringLiteral("misuse"));
    };
    try {
        (void)pool.createTask([] {});
        QFAIL("no throw");
    } catch (const NotRunningError &e) {
        expectMessage(e, "is not running");
    }
    try {
        pool.stop();
        QFAIL("no throw");
    } catch (const NotRunningError &e) {
        expectMessage(e, "is not running");
    }
    QVERIFY_THROWS_EXCEPTION(NotRunningError, pool.run([] { return 1; }));
    pool.start();
    QVERIFY(pool.isRunning());
    try {
        pool.start();
        QFAIL("no throw");
    } catch (const AlreadyRunningError &e) {
        expectMessage(e, "is already running");
    }
    try {
        pool.addContext([] {}, [] {});
        QFAIL("no throw");
    } catch (const AlreadyRunningError &e) {
        expectMessage(e, "is already running");
    }
    pool.stop();
    QVERIFY(!pool.isRunning());
    QVERIFY_THROWS_EXCEPTION(NotRunningError, pool.stop());
}

void tst_BlockingPool::restartWorks()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("restart"), .size = 2});
    for (int round = 0; round < 5; ++round) {
        pool.start();
        QCOMPARE(pool.run([round] { return delayedValue(1, round); }), round);
        QCOMPARE(pool.run([round] { return round; }), round);
        pool.stop();
    }
    QCOMPARE(pool.status()->completed(), 10);
}

void tst_BlockingPool::stopDrainsBufferedAndRunningTasks()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("drain"), .size = 2});
    pool.start();
    auto invoked = std::make_shared<std::atomic<int>>(0);
    std::vector<QFuture<int>> futures;
    for (int i = 0; i < 40; ++i) {
        futures.push_back(pool.createTask([i, invoked] {
            invoked->fetch_add(1);
            return delayedValue(5, i);
        }));
    }
    pool.stop(); // most are still buffered here
    QCOMPARE(invoked->load(), 40);
    for (int i = 0; i < 40; ++i) {
        QVERIFY(futures[i].isFinished());
        QCOMPARE(futures[i].result(), i);
    }
}

void tst_BlockingPool::destructorDrains()
{
    std::vector<QFuture<int>> futures;
    auto exited = std::make_shared<std::atomic<bool>>(false);
    {
        BlockingThreadedTaskPool pool({.name = QStringLiteral("destructor"), .size = 1});
        pool.addContext([] {}, [exited] { exited->store(true); });
        pool.start();
        for (int i = 0; i < 10; ++i)
            futures.push_back(pool.createTask([i] { return delayedValue(5, i); }));
    }
    QVERIFY(exited->load());
    for (int i = 0; i < 10; ++i)
        QCOMPARE(futures[i].result(), i);
}

void tst_BlockingPool::cancelingPendingTaskDropsIt()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("cancel-pending"), .size = 1});
    pool.start();
    Gate gate;
    QFuture<int> blocker = pool.createTask(gate.task());
    auto invoked = std::make_shared<std::atomic<bool>>(false);
    QFuture<int> pending = pool.createTask([invoked] {
        invoked->store(true);
        return 1;
    });
    QTRY_COMPARE(pool.status()->running(), 1);
    pending.cancel();
    QTRY_VERIFY(pending.isFinished()); // dropped by the sweep, not left hanging
    QVERIFY(pending.isCanceled());
    gate.promise->addResult(5);
    gate.promise->finish();
    QCOMPARE(blocker.result(), 5);
    pool.stop();
    QVERIFY(!invoked->load());
    QCOMPARE(pool.status()->canceled(), 1);
    QCOMPARE(pool.status()->completed(), 1);
}

void tst_BlockingPool::cancelingRunningAsyncTaskCancelsInner()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("cancel-running")});
    pool.start();
    Gate gate;
    QFuture<int> f = pool.createTask(gate.task());
    QTRY_COMPARE(pool.status()->running(), 1);
    f.cancel();
    QTRY_VERIFY(gate.innerCanceled->load());
    QTRY_VERIFY(f.isFinished());
    QVERIFY(f.isCanceled());
    pool.stop();
    QCOMPARE(pool.status()->canceled(), 1);
    QCOMPARE(pool.status()->running(), 0);
}

void tst_BlockingPool::blockingCallsFromPoolThreadThrowDeadlock()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("deadlock")});
    pool.start();
    QCOMPARE(pool.run([&pool] {
        int thrown = 0;
        try {
            pool.run([] { return 1; });
        } catch (const DeadlockError &) {
            ++thrown;
        }
        try {
            pool.stop();
        } catch (const DeadlockError &) {
            ++thrown;
        }
        try {
            pool.start();
        } catch (const DeadlockError &) {
            ++thrown;
        }
        return thrown;
    }),
             3);
    QVERIFY(pool.isRunning());
    pool.stop();
}

void tst_BlockingPool::createTaskFromPoolThreadWorks()
{
    // An asynchronous task awaiting a task it submits to its own pool (size 2 leaves room).
    BlockingThreadedTaskPool pool({.name = QStringLiteral("nested"), .size = 2});
    pool.start();
    QFuture<int> outer = pool.createTask([&pool] { return pool.createTask([] { return 11; }); });
    QCOMPARE(outer.result(), 11);
    pool.stop();
    QCOMPARE(pool.status()->completed(), 2);
}

void tst_BlockingPool::badArgumentsThrow()
{
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             BlockingThreadedTaskPool({.name = {}, .size = -1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             BlockingThreadedTaskPool({.name = {}, .size = 0, .timeout = -5ms}));
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument,
        AsyncThreadedTaskPool({.name = {}, .size = 0, .timeout = {}, .maxPending = -1}));
    BlockingThreadedTaskPool pool({.name = QStringLiteral("bad-args")});
    pool.start();
    std::function<int()> empty;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, (void)pool.createTask(empty));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pool.run(empty));
    int (*nullFunction)() = nullptr;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, (void)pool.createTask(nullFunction));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pool.stop(-1ms));
    pool.stop();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             pool.addContext(std::function<void()>(), [] {}));
    QCOMPARE(pool.status()->submitted(), 0);
}

void tst_BlockingPool::userContinuationOnOuterFutureRuns()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("continuations"), .timeout = 10s});
    pool.start();
    for (bool async : {false, true}) {
        QFuture<int> f = async ? pool.createTask([] { return delayedValue(10, 20); })
                               : pool.createTask([] { return 20; });
        QFuture<int> chained = f.then([](int v) { return v + 1; });
        QCOMPARE(chained.result(), 21);
    }
    QFuture<int> failing = pool.createTask([]() -> int { throw CustomError(1); });
    QFuture<int> handled = failing.onFailed([](const CustomError &e) { return -e.code; });
    QCOMPARE(handled.result(), -1);
    pool.stop();
}

void tst_BlockingPool::statusBalancesAfterStop()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("balance"), .size = 2, .timeout = 100ms});
    QSignalSpy completedSpy(pool.status(), &PoolStatus::completedChanged);
    pool.start();
    std::vector<QFuture<int>> futures;
    std::vector<Gate> gates(60); // one each: a future is watched by one task only
    for (int i = 0; i < 60; ++i) {
        switch (i % 4) {
        case 0:
            futures.push_back(pool.createTask([i] { return i; }));
            break;
        case 1:
            futures.push_back(pool.createTask([]() -> int { throw CustomError(0); }));
            break;
        case 2:
            futures.push_back(pool.createTask([i] { return delayedValue(1, i); }));
            break;
        case 3:
            futures.push_back(pool.createTask(gates[i].task())); // times out, or is canceled
            if (i % 8 == 3)
                futures.back().cancel();
            break;
        }
    }
    pool.stop();
    PoolStatus *s = pool.status();
    QCOMPARE(s->submitted(), 60);
    QCOMPARE(s->completed(), 30);
    QCOMPARE(s->failed(), 15);
    QCOMPARE(s->timedOut() + s->canceled(), 15);
    QVERIFY(s->canceled() >= 1);
    QCOMPARE(s->submitted(), s->completed() + s->failed() + s->timedOut() + s->canceled());
    QCOMPARE(s->pending(), 0);
    QCOMPARE(s->running(), 0);
    QVERIFY(!s->isActive());
    for (const auto &f : futures)
        QVERIFY(f.isFinished());
    // The notifications, queued to this thread, settle on the final values too.
    QTRY_VERIFY(!completedSpy.isEmpty() && completedSpy.last().at(0).toLongLong() == 30);
}

void tst_BlockingPool::maxPendingRejectsAndRunWaits()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("bounded"), .size = 1, .maxPending = 2});
    pool.start();
    Gate gate;
    QFuture<int> running = pool.createTask(gate.task());
    QTRY_COMPARE(pool.status()->running(), 1);
    QFuture<int> a = pool.createTask([] { return 1; });
    QFuture<int> b = pool.createTask([] { return 2; });
    auto invoked = std::make_shared<std::atomic<bool>>(false);
    try {
        (void)pool.createTask([invoked] {
            invoked->store(true);
            return 3;
        });
        QFAIL("no PoolFullError");
    } catch (const PoolFullError &e) {
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("bounded")));
    }
    QCOMPARE(pool.status()->rejected(), 1);
    QCOMPARE(pool.status()->submitted(), 3);
    // A blocking run() waits for room instead of throwing.
    std::atomic<int> result {0};
    std::unique_ptr<QThread> caller(QThread::create([&] { result = pool.run([] { return 4; }); }));
    caller->start();
    // It waits (a test hook counts the callers waiting for room), and has not completed.
    QTRY_COMPARE(Detail::PoolHandle::roomWaitersForTesting(pool.status()), 1);
    QCOMPARE(result.load(), 0);
    gate.promise->addResult(0);
    gate.promise->finish();
    QVERIFY(caller->wait(10000));
    QCOMPARE(result.load(), 4);
    QCOMPARE(a.result() + b.result(), 3);
    pool.stop();
    QVERIFY(!invoked->load());
}

void tst_BlockingPool::stopWithGraceCancelsWhatRemains()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("grace"), .size = 1});
    pool.start();
    Gate gate;
    QFuture<int> stuck = pool.createTask(gate.task());
    auto invoked = std::make_shared<std::atomic<bool>>(false);
    QFuture<int> buffered = pool.createTask([invoked] {
        invoked->store(true);
        return 1;
    });
    QTRY_COMPARE(pool.status()->running(), 1);
    QElapsedTimer clock;
    clock.start();
    pool.stop(100ms);
    QVERIFY(clock.elapsed() >= 90);
    QVERIFY(stuck.isFinished() && stuck.isCanceled());
    QVERIFY(buffered.isFinished() && buffered.isCanceled());
    QVERIFY(!invoked->load());
    QTRY_VERIFY(gate.innerCanceled->load() || gate.promise->isCanceled());
    QCOMPARE(pool.status()->canceled(), 2);
    QCOMPARE(pool.status()->submitted(), pool.status()->canceled());
}

void tst_BlockingPool::destroyFromPoolThreadNeitherHangsNorCrashes()
{
    auto *pool = new BlockingThreadedTaskPool({.name = QStringLiteral("self-destroy")});
    auto exited = std::make_shared<std::atomic<bool>>(false);
    pool->addContext([] {}, [exited] { exited->store(true); });
    pool->start();
    QFuture<int> later = pool->createTask([] { return delayedValue(20, 3); });
    QFuture<void> f = pool->createTask([pool] { delete pool; });
    f.waitForFinished();
    QCOMPARE(later.result(), 3); // the drain still completes
    QTRY_VERIFY(exited->load()); // and the contexts exit, after the destructor returned
    QCoreApplication::processEvents(); // lets the detached thread object be deleted
}

QTEST_GUILESS_MAIN(tst_BlockingPool)
#include "tst_blockingpool.moc"
