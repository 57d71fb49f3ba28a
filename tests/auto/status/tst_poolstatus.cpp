// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include <tasktools/tasktools.h>

#include "gates.h"

#include <QtCore/QMetaProperty>
#include <QtCore/QMutex>
#include <QtCore/QPromise>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <vector>

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

// Counts the status's update events: PoolCore posts them with a type of its own (a registered
// one, above QEvent::User), and nothing else posts user events to a status object.
class UpdateEventCounter : public QObject
{
public:
    int count = 0;
    bool eventFilter(QObject *, QEvent *event) override
    {
        if (event->type() >= QEvent::User)
            ++count;
        return false;
    }
};

// The last value each NOTIFY signal carried, as a binding would see it.
struct Observed
{
    qint64 submitted = -1, completed = -1, failed = -1, timedOut = -1, canceled = -1;
    int running = -1, pending = -1;
    bool active = false;
    bool completedWentBackwards = false;
};

// Like a binding: reads each property once, then follows its NOTIFY signal.
void observe(PoolStatus *status, Observed &seen, QObject *context)
{
    seen.submitted = status->submitted();
    seen.completed = status->completed();
    seen.failed = status->failed();
    seen.timedOut = status->timedOut();
    seen.canceled = status->canceled();
    seen.running = status->running();
    seen.pending = status->pending();
    seen.active = status->isActive();
    QObject::connect(status, &PoolStatus::submittedChanged, context,
                     [&seen](qint64 v) { seen.submitted = v; });
    QObject::connect(status, &PoolStatus::completedChanged, context, [&seen](qint64 v) {
        if (v < seen.completed)
            seen.completedWentBackwards = true;
        seen.completed = v;
    });
    QObject::connect(status, &PoolStatus::failedChanged, context,
                     [&seen](qint64 v) { seen.failed = v; });
    QObject::connect(status, &PoolStatus::timedOutChanged, context,
                     [&seen](qint64 v) { seen.timedOut = v; });
    QObject::connect(status, &PoolStatus::canceledChanged, context,
                     [&seen](qint64 v) { seen.canceled = v; });
    QObject::connect(status, &PoolStatus::runningChanged, context,
                     [&seen](int v) { seen.running = v; });
    QObject::connect(status, &PoolStatus::pendingChanged, context,
                     [&seen](int v) { seen.pending = v; });
    QObject::connect(status, &PoolStatus::activeChanged, context,
                     [&seen](bool v) { seen.active = v; });
}

} // namespace

class tst_PoolStatus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyPropertyIsReadOnlyWithNotify();
    void countersAreExactOnceStopped();
    void notificationsSettleOnTheFinalValues();
    void valueReadBetweenUpdatesIsNotifiedWhenItReverts();
    void atMostOneUpdateIsQueued();
    void statusLivesInTheOwnerThreadAndReadsFromAnyThread();
    void activeFollowsStartAndStopAcrossRestarts();
    void rejectedCountsFullBuffer();
    void loadIsRunningOverSize();
    void loadOfAnUnlimitedPoolIsBusyOrIdle();
    void throughputRisesWhileBusyAndFallsBackToZero();
    void throughputIsZeroBeforeAnyWork();
};

void tst_PoolStatus::everyPropertyIsReadOnlyWithNotify()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("props"), .size = 3});
    const QMetaObject *mo = pool.status()->metaObject();
    const QStringList expected {
        QStringLiteral("name"),      QStringLiteral("active"),  QStringLiteral("size"),
        QStringLiteral("pending"),   QStringLiteral("running"), QStringLiteral("submitted"),
        QStringLiteral("completed"), QStringLiteral("failed"),  QStringLiteral("timedOut"),
        QStringLiteral("canceled"),  QStringLiteral("load"),    QStringLiteral("throughput")};
    for (const QString &name : expected) {
        const int index = mo->indexOfProperty(name.toLatin1().constData());
        QVERIFY2(index >= 0, qPrintable(name));
        const QMetaProperty property = mo->property(index);
        QVERIFY2(property.isReadable(), qPrintable(name));
        QVERIFY2(!property.isWritable(), qPrintable(name));
        QVERIFY2(property.hasNotifySignal(), qPrintable(name));
    }
    QCOMPARE(pool.status()->property("name").toString(), QStringLiteral("props"));
    QCOMPARE(pool.status()->property("size").toInt(), 3);
    QCOMPARE(pool.status()->property("active").toBool(), false);
    QCOMPARE(pool.status()->property("load").toDouble(), 0.0);
    QCOMPARE(pool.status()->parent(), &pool);
}

void tst_PoolStatus::countersAreExactOnceStopped()
{
    // The timeout is long enough that the canceled tasks, queued behind the four slots the
    // timing-out tasks hold, are surely canceled before a slot frees up.
    BlockingThreadedTaskPool pool({.name = QStringLiteral("exact"), .size = 4, .timeout = 1000ms});
    Gates gates;
    PoolStatus *status = pool.status();
    pool.start();

    constexpr int Ok = 300, Failing = 40, TimingOut = 4, Canceled = 25;
    std::vector<QFuture<void>> futures;
    for (int i = 0; i < Ok; ++i)
        futures.push_back(pool.createTask([] {}));
    for (int i = 0; i < Failing; ++i)
        futures.push_back(pool.createTask([] { throw std::runtime_error("boom"); }));
    for (int i = 0; i < TimingOut; ++i)
        futures.push_back(pool.createTask(gates.task()));
    std::vector<QFuture<void>> toCancel;
    for (int i = 0; i < Canceled; ++i)
        toCancel.push_back(pool.createTask([] {}));
    for (QFuture<void> &f : toCancel)
        f.cancel();

    pool.stop();
    QCOMPARE(status->submitted(), qint64(Ok + Failing + TimingOut + Canceled));
    QCOMPARE(status->completed(), qint64(Ok));
    QCOMPARE(status->failed(), qint64(Failing));
    QCOMPARE(status->timedOut(), qint64(TimingOut));
    QCOMPARE(status->canceled(), qint64(Canceled));
    QCOMPARE(status->pending(), 0);
    QCOMPARE(status->running(), 0);
    QCOMPARE(status->load(), 0.0);
    QCOMPARE(status->submitted(),
             status->completed() + status->failed() + status->timedOut() + status->canceled());
    QVERIFY(!status->isActive());
}

void tst_PoolStatus::notificationsSettleOnTheFinalValues()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("settle"), .size = 2});
    PoolStatus *status = pool.status();
    Observed seen;
    QObject context;
    observe(status, seen, &context);

    pool.start().waitForFinished();
    constexpr int Tasks = 20000;
    for (int i = 0; i < Tasks; ++i) {
        if (i % 100 == 99)
            (void)pool.createTask([] { throw std::logic_error("every hundredth fails"); });
        else
            (void)pool.createTask([] {});
        if (i % 1000 == 0)
            QCoreApplication::processEvents(); // notifications arrive while the pool is busy
    }
    QTRY_VERIFY(seen.active);
    QFuture<void> stopped = pool.stop();
    QTRY_VERIFY(stopped.isFinished());

    QTRY_COMPARE(seen.completed, qint64(Tasks - Tasks / 100));
    QTRY_COMPARE(seen.failed, qint64(Tasks / 100));
    QTRY_COMPARE(seen.submitted, qint64(Tasks));
    QTRY_COMPARE(seen.running, 0);
    QTRY_VERIFY(!seen.active);
    QTRY_COMPARE(seen.pending, 0);
    QVERIFY(!seen.completedWentBackwards);
    QCOMPARE(seen.completed, status->completed());
    QCOMPARE(seen.failed, status->failed());
}

void tst_PoolStatus::valueReadBetweenUpdatesIsNotifiedWhenItReverts()
{
    // A binding evaluated between two updates reads the live value (running == 1); if the
    // value is back to the one last notified (0) by the next update, that update must still
    // notify, or the binding would show 1 forever.
    BlockingThreadedTaskPool pool({.name = QStringLiteral("revert")});
    Gates gates;
    PoolStatus *status = pool.status();
    QList<int> runningChanges;
    QObject context;
    connect(status, &PoolStatus::runningChanged, &context,
            [&runningChanges](int v) { runningChanges.append(v); });
    pool.start();

    // Nothing below runs this thread's loop until the task has ended again.
    QFuture<void> task = pool.createTask(gates.task());
    QElapsedTimer timer;
    timer.start();
    while (status->running() != 1 && timer.elapsed() < 10000)
        QThread::yieldCurrentThread();
    QCOMPARE(status->running(), 1); // read live, as a binding would
    // running counts the task from just before its body runs: wait for the body to have made
    // its gate, or there is nothing to open yet and waitForFinished() below would hang.
    while (gates.count() != 1 && timer.elapsed() < 10000)
        QThread::yieldCurrentThread();
    QCOMPARE(gates.count(), 1);
    gates.openAll();
    task.waitForFinished();
    while (status->running() != 0 && timer.elapsed() < 10000)
        QThread::yieldCurrentThread();

    QTRY_VERIFY(!runningChanges.isEmpty());
    QTRY_COMPARE(runningChanges.last(), 0);
    pool.stop();
}

void tst_PoolStatus::atMostOneUpdateIsQueued()
{
    // The owner thread does not run its loop while 100k tasks run: without coalescing, that
    // would leave an update event per batch (or per task) in its queue.
    BlockingThreadedTaskPool pool({.name = QStringLiteral("coalesce")});
    UpdateEventCounter counter;
    pool.status()->installEventFilter(&counter);
    QSignalSpy completedSpy(pool.status(), &PoolStatus::completedChanged);
    QVERIFY(completedSpy.isValid());

    pool.start();
    for (int round = 0; round < 10; ++round) {
        std::vector<QFuture<int>> futures;
        for (int i = 0; i < 10000; ++i)
            futures.push_back(pool.createTask([i] { return i; }));
        futures.back().waitForFinished();
    }
    pool.stop();

    QCoreApplication::sendPostedEvents(pool.status());
    QCOMPARE(counter.count, 1);
    QCOMPARE(completedSpy.count(), 1);
    QCOMPARE(completedSpy.last().at(0).toLongLong(), 100000);
}

void tst_PoolStatus::statusLivesInTheOwnerThreadAndReadsFromAnyThread()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("threads")});
    PoolStatus *status = pool.status();
    QCOMPARE(status->thread(), QThread::currentThread());
    pool.start();

    std::atomic<bool> done {false};
    std::atomic<bool> consistent {true};
    std::unique_ptr<QThread> reader(QThread::create([&] {
        qint64 lastCompleted = 0;
        while (!done.load()) {
            const qint64 completed = status->completed();
            if (completed < lastCompleted || status->pending() < 0 || status->load() < 0.0
                || status->load() > 1.0)
                consistent = false;
            lastCompleted = completed;
            QThread::yieldCurrentThread();
        }
    }));
    reader->start();
    QThread *notifiedIn = nullptr;
    QObject context;
    connect(status, &PoolStatus::completedChanged, &context,
            [&notifiedIn] { notifiedIn = QThread::currentThread(); });
    std::vector<QFuture<void>> futures;
    for (int i = 0; i < 50000; ++i)
        futures.push_back(pool.createTask([] {}));
    futures.back().waitForFinished();
    pool.stop();
    done = true;
    reader->wait();
    QVERIFY(consistent.load());
    QTRY_VERIFY(notifiedIn != nullptr);
    QCOMPARE(notifiedIn, QThread::currentThread());
}

void tst_PoolStatus::activeFollowsStartAndStopAcrossRestarts()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("restart")});
    PoolStatus *status = pool.status();
    QList<bool> changes;
    QObject context;
    connect(status, &PoolStatus::activeChanged, &context,
            [&changes](bool active) { changes.append(active); });

    for (int run = 1; run <= 3; ++run) {
        pool.start();
        QVERIFY(status->isActive());
        QTRY_COMPARE(changes.size(), 2 * run - 1);
        QCOMPARE(changes.last(), true);
        pool.run([] {});
        pool.stop();
        QVERIFY(!status->isActive());
        QTRY_COMPARE(changes.size(), 2 * run);
        QCOMPARE(changes.last(), false);
        // Counters accumulate since construction.
        QCOMPARE(status->submitted(), qint64(run));
        QCOMPARE(status->completed(), qint64(run));
    }
}

void tst_PoolStatus::rejectedCountsFullBuffer()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("full"), .size = 1, .maxPending = 2});
    Gates gates;
    PoolStatus *status = pool.status();
    qint64 seenRejected = 0;
    QObject context;
    connect(status, &PoolStatus::rejectedChanged, &context,
            [&seenRejected](qint64 v) { seenRejected = v; });
    pool.start();
    QFuture<void> running = pool.createTask(gates.task());
    QTRY_COMPARE(status->running(), 1);
    QFuture<void> a = pool.createTask([] {});
    QFuture<void> b = pool.createTask([] {});
    QVERIFY_THROWS_EXCEPTION(PoolFullError, (void)pool.createTask([] {}));
    QVERIFY_THROWS_EXCEPTION(PoolFullError, (void)pool.createTask([] {}));
    QCOMPARE(status->rejected(), 2);
    QTRY_COMPARE(seenRejected, qint64(2));
    gates.openAll();
    pool.stop();
    QCOMPARE(status->submitted(), 3);
    QCOMPARE(status->completed(), 3);
}

void tst_PoolStatus::loadIsRunningOverSize()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("load"), .size = 4});
    Gates gates;
    PoolStatus *status = pool.status();
    double seenLoad = -1;
    QObject context;
    connect(status, &PoolStatus::loadChanged, &context, [&seenLoad](double v) { seenLoad = v; });
    pool.start();
    QCOMPARE(status->load(), 0.0);

    std::vector<QFuture<void>> futures;
    futures.push_back(pool.createTask(gates.task()));
    QTRY_COMPARE(status->load(), 0.25);
    QTRY_COMPARE(seenLoad, 0.25);
    futures.push_back(pool.createTask(gates.task()));
    QTRY_COMPARE(status->load(), 0.5);
    for (int i = 0; i < 4; ++i) // two fill the slots, two wait
        futures.push_back(pool.createTask(gates.task()));
    QTRY_COMPARE(status->load(), 1.0);
    QTRY_COMPARE(seenLoad, 1.0);
    QCOMPARE(status->pending(), 2);
    QCOMPARE(gates.count(), 4);

    gates.openAll(); // the two buffered ones start now and get gates of their own
    QTRY_COMPARE(gates.count(), 6);
    gates.openAll();
    pool.stop();
    QCOMPARE(status->load(), 0.0);
    QTRY_COMPARE(seenLoad, 0.0);
}

void tst_PoolStatus::loadOfAnUnlimitedPoolIsBusyOrIdle()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("unlimited")});
    Gates gates;
    PoolStatus *status = pool.status();
    pool.start();
    QCOMPARE(status->load(), 0.0);
    std::vector<QFuture<void>> futures;
    for (int i = 0; i < 5; ++i)
        futures.push_back(pool.createTask(gates.task()));
    QTRY_COMPARE(status->running(), 5);
    QCOMPARE(status->load(), 1.0);
    gates.openAll();
    QTRY_COMPARE(status->running(), 0);
    QCOMPARE(status->load(), 0.0);
    pool.stop();
}

void tst_PoolStatus::throughputRisesWhileBusyAndFallsBackToZero()
{
    AsyncThreadedTaskPool pool({.name = QStringLiteral("throughput")});
    PoolStatus *status = pool.status();
    QList<double> seen;
    QObject context;
    connect(status, &PoolStatus::throughputChanged, &context,
            [&seen](double v) { seen.append(v); });
    pool.start().waitForFinished();

    // A steady stream: the main loop feeds a batch of short tasks every few milliseconds.
    QTimer feeder;
    std::atomic<qint64> fed {0};
    connect(&feeder, &QTimer::timeout, &context, [&] {
        for (int i = 0; i < 50; ++i)
            (void)pool.createTask([] {});
        fed += 50;
    });
    feeder.start(5);
    QTRY_VERIFY_WITH_TIMEOUT(status->throughput() > 0.0, 10000);
    QVERIFY(!seen.isEmpty());
    QCOMPARE(seen.last(), status->throughput());
    feeder.stop();
    // It cannot exceed what was fed over the whole test, divided by the shortest time between
    // two samples (a loose but real upper bound). The sampler is a Qt::CoarseTimer, which may
    // fire up to 5 % early: two samples can be 0.95 * ThroughputSampleMs apart.
    const double upper = double(fed.load()) * 1000.0 / (0.95 * PoolStatus::ThroughputSampleMs);
    QVERIFY2(status->throughput() <= upper,
             qPrintable(QStringLiteral("%1 > %2").arg(status->throughput()).arg(upper)));

    QFuture<void> stopped = pool.stop();
    QTRY_VERIFY(stopped.isFinished());
    QTRY_COMPARE_WITH_TIMEOUT(status->throughput(), 0.0, 10000);
    QCOMPARE(seen.last(), 0.0);
}

void tst_PoolStatus::throughputIsZeroBeforeAnyWork()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("idle")});
    QCOMPARE(pool.status()->throughput(), 0.0);
    pool.start();
    QTest::qWait(2 * PoolStatus::ThroughputSampleMs); // asserting that nothing happens
    QCOMPARE(pool.status()->throughput(), 0.0);
    pool.stop();
}

QTEST_GUILESS_MAIN(tst_PoolStatus)
#include "tst_poolstatus.moc"
