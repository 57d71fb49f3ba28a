// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include <tasktools/tasktools.h>

#include "gates.h"

#include <QtCore/QMutex>
#include <QtCore/QPromise>
#include <QtCore/QSemaphore>
#include <QtCore/QThread>
#include <QtTest/QtTest>

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

void startPool(BlockingThreadedTaskPool &pool)
{
    pool.start();
}
void startPool(AsyncThreadedTaskPool &pool)
{
    pool.start().waitForFinished();
}
void stopPool(BlockingThreadedTaskPool &pool, std::chrono::milliseconds grace = -1ms)
{
    if (grace.count() >= 0)
        pool.stop(grace);
    else
        pool.stop();
}
void stopPool(AsyncThreadedTaskPool &pool, std::chrono::milliseconds grace = -1ms)
{
    (grace.count() >= 0 ? pool.stop(grace) : pool.stop()).waitForFinished();
}

// What a receiver living in some thread saw, counted in that thread.
struct Received
{
    std::atomic<int> completed {0}, failed {0}, timedOut {0}, canceled {0};
    std::atomic<bool> wrongThread {false};
    QMutex mutex;
    QStringList messages;
};

template<typename Pool>
void receive(Pool &pool, QObject *receiver, Received &r)
{
    QThread *expected = receiver->thread();
    auto check = [&r, expected] {
        if (QThread::currentThread() != expected)
            r.wrongThread = true;
    };
    QObject::connect(&pool, &Pool::taskCompleted, receiver, [&r, check] {
        check();
        ++r.completed;
    });
    QObject::connect(&pool, &Pool::taskFailed, receiver, [&r, check](const QString &message) {
        check();
        QMutexLocker locker(&r.mutex);
        r.messages.append(message);
        ++r.failed;
    });
    QObject::connect(&pool, &Pool::taskTimedOut, receiver, [&r, check] {
        check();
        ++r.timedOut;
    });
    QObject::connect(&pool, &Pool::taskCanceled, receiver, [&r, check] {
        check();
        ++r.canceled;
    });
}

// A thread whose event loop hosts `receiver` and which deletes it once the loop has quit, in
// this thread, then says so through an atomic. QThread::wait() alone would order that deletion
// (whose disconnectNotify() reads the pool) before what the caller does next, but inside
// libQt6Core, where ThreadSanitizer cannot see it; the atomic makes the order visible.
class ReceiverThread : public QThread
{
public:
    ReceiverThread()
    {
        setObjectName(QStringLiteral("receiver thread"));
        receiver->moveToThread(this);
    }
    std::unique_ptr<QObject> receiver = std::make_unique<QObject>();
    std::atomic<bool> receiverDeleted {false};

protected:
    void run() override
    {
        exec();
        receiver.reset();
        receiverDeleted.store(true, std::memory_order_release);
    }
};

} // namespace

class tst_TaskSignals : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void eachOutcomeIsSignaled_data() { poolKinds(); }
    void eachOutcomeIsSignaled();
    void receiverInAnotherThreadGetsThemInItsThread_data() { poolKinds(); }
    void receiverInAnotherThreadGetsThemInItsThread();
    void disconnectingAndReconnecting_data() { poolKinds(); }
    void disconnectingAndReconnecting();
    void stopWithGraceSignalsCanceled_data() { poolKinds(); }
    void stopWithGraceSignalsCanceled();
    void receiversDyingElsewhereWhileThePoolDies_data() { poolKinds(); }
    void receiversDyingElsewhereWhileThePoolDies();

private:
    static void poolKinds()
    {
        QTest::addColumn<bool>("async");
        QTest::newRow("BlockingThreadedTaskPool") << false;
        QTest::newRow("AsyncThreadedTaskPool") << true;
    }
    template<typename Pool>
    void eachOutcomeIsSignaledFor();
    template<typename Pool>
    void receiverInAnotherThreadFor();
    template<typename Pool>
    void disconnectingAndReconnectingFor();
    template<typename Pool>
    void stopWithGraceFor();
    template<typename Pool>
    void receiversDyingElsewhereFor();
};

#define DISPATCH(name)                                                                             \
    QFETCH(bool, async);                                                                           \
    if (async)                                                                                     \
        name<AsyncThreadedTaskPool>();                                                             \
    else                                                                                           \
        name<BlockingThreadedTaskPool>();

void tst_TaskSignals::eachOutcomeIsSignaled()
{
    DISPATCH(eachOutcomeIsSignaledFor)
}

template<typename Pool>
void tst_TaskSignals::eachOutcomeIsSignaledFor()
{
    // The timeout is long enough that the tasks canceled below, queued behind the two slots the
    // timing-out tasks hold, are surely canceled before a slot frees up.
    Pool pool({.name = QStringLiteral("signals"), .size = 2, .timeout = 1000ms});
    Gates gates;
    Received r;
    QObject receiver;
    receive(pool, &receiver, r);
    // The emitting thread, seen by a direct connection.
    std::atomic<QThread *> emittedIn {nullptr};
    QObject::connect(
        &pool, &Pool::taskFailed, &pool,
        [&emittedIn](const QString &) { emittedIn = QThread::currentThread(); },
        Qt::DirectConnection);

    startPool(pool);
    QThread *poolThread = pool.createTask([] { return QThread::currentThread(); }).result();
    for (int i = 0; i < 10; ++i)
        (void)pool.createTask([] {});
    for (int i = 0; i < 3; ++i)
        (void)pool.createTask([i] { throw std::runtime_error("failure " + std::to_string(i)); });
    for (int i = 0; i < 2; ++i)
        (void)pool.createTask(gates.task());
    std::vector<QFuture<void>> canceled;
    for (int i = 0; i < 3; ++i)
        canceled.push_back(pool.createTask([] {}));
    for (QFuture<void> &f : canceled)
        f.cancel();
    stopPool(pool);

    QTRY_COMPARE(r.completed.load(), 11);
    QTRY_COMPARE(r.failed.load(), 3);
    QTRY_COMPARE(r.timedOut.load(), 2);
    QTRY_COMPARE(r.canceled.load(), 3);
    QVERIFY(!r.wrongThread);
    QStringList messages = r.messages;
    messages.sort();
    QCOMPARE(messages,
             QStringList({QStringLiteral("failure 0"), QStringLiteral("failure 1"),
                          QStringLiteral("failure 2")}));
    QCOMPARE(emittedIn.load(), poolThread);
    // The signals agree with the status.
    QCOMPARE(qint64(r.completed), pool.status()->completed());
    QCOMPARE(qint64(r.failed), pool.status()->failed());
    QCOMPARE(qint64(r.timedOut), pool.status()->timedOut());
    QCOMPARE(qint64(r.canceled), pool.status()->canceled());
}

void tst_TaskSignals::receiverInAnotherThreadGetsThemInItsThread()
{
    DISPATCH(receiverInAnotherThreadFor)
}

template<typename Pool>
void tst_TaskSignals::receiverInAnotherThreadFor()
{
    ReceiverThread worker;
    Received r;
    Pool pool({.name = QStringLiteral("elsewhere")});
    // Connected before the thread starts: the slots' functors, built here, are then visibly
    // (to ThreadSanitizer) handed to the thread that calls them.
    receive(pool, worker.receiver.get(), r);
    worker.start();

    startPool(pool);
    for (int i = 0; i < 100; ++i)
        (void)pool.createTask([] {});
    for (int i = 0; i < 5; ++i)
        (void)pool.createTask([] { throw std::logic_error("bad"); });
    stopPool(pool);

    QTRY_COMPARE(r.completed.load(), 100);
    QTRY_COMPARE(r.failed.load(), 5);
    QVERIFY(!r.wrongThread);
    QCOMPARE(r.messages, QStringList(5, QStringLiteral("bad")));

    // Destroyed in its own thread (disconnecting from the pool there), which then ends.
    worker.quit();
    QVERIFY(worker.wait(20000));
    QVERIFY(worker.receiverDeleted.load(std::memory_order_acquire));
}

void tst_TaskSignals::disconnectingAndReconnecting()
{
    DISPATCH(disconnectingAndReconnectingFor)
}

template<typename Pool>
void tst_TaskSignals::disconnectingAndReconnectingFor()
{
    Pool pool({.name = QStringLiteral("reconnect")});
    startPool(pool);
    auto runTasks = [&pool](int n) {
        QFuture<void> last;
        for (int i = 0; i < n; ++i)
            last = pool.createTask([] {});
        last.waitForFinished();
    };
    // A task's signal comes just after its future finished. To change the connections between
    // two tasks' signals, this runs `change` while a barrier task runs: the tasks before it
    // have signaled, and its own signal (one taskCompleted) goes to the new connections.
    auto whileBarrierRuns = [&pool](auto change) {
        QSemaphore started, proceed;
        QFuture<void> barrier = pool.createTask([&] {
            started.release();
            proceed.acquire();
        });
        started.acquire();
        change();
        proceed.release();
        barrier.waitForFinished();
    };

    int first = 0;
    QObject receiver;
    QMetaObject::Connection connection =
        QObject::connect(&pool, &Pool::taskCompleted, &receiver, [&first] { ++first; });
    runTasks(10);
    QTRY_COMPARE(first, 10);

    // Nobody listens: the pool switches its signals off.
    whileBarrierRuns([&] { QVERIFY(QObject::disconnect(connection)); });
    runTasks(10);

    // A receiver that dies disconnects itself.
    int doomedCount = 0;
    {
        QObject doomed;
        whileBarrierRuns([&] {
            QObject::connect(&pool, &Pool::taskCompleted, &doomed,
                             [&doomedCount] { ++doomedCount; });
        });
        runTasks(5);
        QTRY_COMPARE(doomedCount, 1 + 5);
    }
    runTasks(10);

    int second = 0;
    whileBarrierRuns(
        [&] { QObject::connect(&pool, &Pool::taskCompleted, &receiver, [&second] { ++second; }); });
    runTasks(7);
    QTRY_COMPARE(second, 1 + 7);
    stopPool(pool);
    QCoreApplication::processEvents();
    QCOMPARE(first, 10);
    QCOMPARE(doomedCount, 6);
    QCOMPARE(second, 8);
    QCOMPARE(pool.status()->completed(), 10 + 1 + 10 + 1 + 5 + 10 + 1 + 7);
}

void tst_TaskSignals::stopWithGraceSignalsCanceled()
{
    DISPATCH(stopWithGraceFor)
}

template<typename Pool>
void tst_TaskSignals::stopWithGraceFor()
{
    Pool pool({.name = QStringLiteral("grace"), .size = 2});
    Gates gates;
    Received r;
    QObject receiver;
    receive(pool, &receiver, r);
    startPool(pool);
    for (int i = 0; i < 5; ++i) // two run, three wait
        (void)pool.createTask(gates.task());
    QTRY_COMPARE(pool.status()->running(), 2);
    stopPool(pool, 20ms);
    QTRY_COMPARE(r.canceled.load(), 5);
    QCOMPARE(r.completed.load(), 0);
    QVERIFY(!r.wrongThread);
}

void tst_TaskSignals::receiversDyingElsewhereWhileThePoolDies()
{
    DISPATCH(receiversDyingElsewhereFor)
}

// A receiver destroyed in its own thread disconnects from the pool there: Qt calls the pool's
// disconnectNotify() in that thread, for each of its connections, possibly while the pool's
// destructor runs in the owner's thread. disconnectNotify() used to read the pool's core pointer
// while the destructor reset it: a data race, and a use after free had the core gone between
// the check and the use. ThreadSanitizer reported it in every run (5 of 5); AddressSanitizer
// never caught the narrow window. The receivers also listen to destroyed(), whose
// disconnectNotify() can come after the front-end's part of the destructor has returned.
template<typename Pool>
void tst_TaskSignals::receiversDyingElsewhereFor()
{
    constexpr int Rounds = 200;
    constexpr int Receivers = 16;
    for (int round = 0; round < Rounds; ++round) {
        auto pool = std::make_unique<Pool>(PoolOptions {.name = QStringLiteral("dying")});
        startPool(*pool);
        for (int i = 0; i < 20; ++i) // still running or signaling when the destructor begins
            (void)pool->createTask([] {});
        std::latch connected(2);
        std::thread worker([&pool, &connected] {
            // Created, connected and destroyed in this thread (no event loop: what the pool
            // queues to them is discarded with them).
            std::vector<std::unique_ptr<QObject>> receivers;
            for (int i = 0; i < Receivers; ++i) {
                auto receiver = std::make_unique<QObject>();
                QObject::connect(pool.get(), &Pool::taskCompleted, receiver.get(), [] {});
                QObject::connect(pool.get(), &Pool::taskFailed, receiver.get(), [] {});
                QObject::connect(pool.get(), &Pool::taskTimedOut, receiver.get(), [] {});
                QObject::connect(pool.get(), &Pool::taskCanceled, receiver.get(), [] {});
                QObject::connect(pool.get(), &QObject::destroyed, receiver.get(), [] {});
                receivers.push_back(std::move(receiver));
            }
            connected.arrive_and_wait();
            while (!receivers.empty()) // each disconnects from the pool, if it still lives
                receivers.pop_back();
        });
        connected.arrive_and_wait();
        pool.reset();
        worker.join();
    }
}

QTEST_GUILESS_MAIN(tst_TaskSignals)
#include "tst_tasksignals.moc"
