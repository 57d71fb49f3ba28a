// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// The wake protocol: a pool thread that lingers for more submissions before it sleeps (and a
// blocking run() that polls before it sleeps) must still give its event loop its turn; threads
// that submit faster than the pool runs yield their time slice to it.
#include <tasktools/tasktools.h>

#include "gates.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QPromise>
#include <QtCore/QSemaphore>
#include <QtTest/QtTest>

#include <atomic>
#include <thread>

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

// Submits an empty task every microsecond or so until stopped: too few at a time for the engine
// to count them against its time slice, but enough to keep it from ever finding the queue
// empty for long.
class Trickle
{
public:
    explicit Trickle(BlockingThreadedTaskPool &pool)
        : m_thread([this, &pool] {
              while (!m_stop.load()) {
                  (void)pool.createTask([] {});
                  m_sent.fetch_add(1);
                  QElapsedTimer t;
                  t.start();
                  while (t.nsecsElapsed() < 1'000) { } // pacing, not synchronisation
              }
          })
    { }
    ~Trickle()
    {
        m_stop.store(true);
        m_thread.join();
    }
    qint64 sent() const { return m_sent.load(); }

private:
    std::atomic<bool> m_stop {false};
    std::atomic<qint64> m_sent {0};
    std::thread m_thread;
};

} // namespace

class tst_Wake : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void trickleDoesNotStarveTimeouts();
    void trickleDoesNotStarveStatusUpdates();
    void blockingRunReturnsResultsPromptly();
    void fewSubmissionsAreNotHeldForABatch();
    void submittersYieldToAPoolThatFellBehind();
    void noYieldWhileEverySlotIsTaken();
    void noYieldOnThePoolsOwnThread();
};

namespace {

using Detail::PoolHandle;

// Enough submissions past the backlog for YieldEvery to have come round many times.
constexpr int FloodSize = int(PoolHandle::YieldBacklog + 64 * PoolHandle::YieldEvery);

qint64 yields(const BlockingThreadedTaskPool &pool)
{
    return PoolHandle::yieldsForTesting(pool.status());
}

// Holds the pool thread in a synchronous task until the test lets it go: nothing submitted
// meanwhile can start.
class HeldPoolThread
{
public:
    explicit HeldPoolThread(BlockingThreadedTaskPool &pool)
    {
        m_task = pool.createTask([this] {
            m_started.release();
            m_release.acquire();
        });
        m_started.acquire();
    }
    ~HeldPoolThread() { m_release.release(); }

private:
    QSemaphore m_started;
    QSemaphore m_release;
    QFuture<void> m_task;
};

void checkResults(const QList<QFuture<int>> &futures)
{
    for (qsizetype i = 0; i < futures.size(); ++i)
        QCOMPARE(futures[i].result(), int(i));
}

} // namespace

void tst_Wake::trickleDoesNotStarveTimeouts()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("trickle-timeout"), .timeout = 100ms});
    pool.start();
    QPromise<int> never;
    never.start();
    QFuture<int> stuck = pool.createTask([f = never.future()] { return f; });
    {
        Trickle trickle(pool);
        QTRY_VERIFY(trickle.sent() > 100);
        // The timeout's timer needs the pool thread's event loop: it fires while the trickle goes
        // on.
        QTRY_VERIFY_WITH_TIMEOUT(stuck.isFinished(), 10'000);
        QVERIFY(trickle.sent() > 100);
    }
    QVERIFY_THROWS_EXCEPTION(TimeoutError, stuck.waitForFinished());
    pool.stop();
    QCOMPARE(pool.status()->timedOut(), 1);
}

void tst_Wake::trickleDoesNotStarveStatusUpdates()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("trickle-status")});
    pool.start();
    QSignalSpy completed(pool.status(), &PoolStatus::completedChanged);
    Trickle trickle(pool);
    // Several notifications while the trickle goes on, not one at its end.
    QTRY_VERIFY_WITH_TIMEOUT(completed.count() >= 3, 10'000);
}

void tst_Wake::blockingRunReturnsResultsPromptly()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("run-spin")});
    pool.start();
    // Short tasks (answered while the caller polls) and longer ones (after it gave up polling
    // and slept): every result arrives, in order, whichever way the caller waited.
    for (int i = 0; i < 2000; ++i)
        QCOMPARE(pool.run([i] { return i; }), i);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(pool.run([i] {
            QElapsedTimer t;
            t.start();
            while (t.nsecsElapsed() < 2'000'000) { } // longer than the caller's poll
            return i;
        }),
                 i);
    }
    pool.stop();
}

void tst_Wake::fewSubmissionsAreNotHeldForABatch()
{
    // A lingering pool thread gathers streamed submissions into batches before it takes them;
    // fewer than a batch must still start. createTask() and not run(), which is taken at once:
    // each round's tasks are all there is until they finished, so a gather that waited for a
    // full batch would never end.
    BlockingThreadedTaskPool pool({.name = QStringLiteral("gather")});
    pool.start();
    std::atomic<int> rounds {0};
    std::thread caller([&] {
        for (int round = 0; round < 1000; ++round) {
            QList<QFuture<int>> futures;
            for (int i = 0; i < 1 + round % 5; ++i)
                futures.append(pool.createTask([i] { return i; }));
            for (qsizetype i = 0; i < futures.size(); ++i) {
                if (futures[i].result() != int(i))
                    return;
            }
            rounds.fetch_add(1);
        }
    });
    QTRY_COMPARE_WITH_TIMEOUT(rounds.load(), 1000, 60'000);
    caller.join();
    pool.stop();
}

void tst_Wake::submittersYieldToAPoolThatFellBehind()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("behind")});
    pool.start();
    QList<QFuture<int>> futures;
    {
        HeldPoolThread held(pool);
        // Up to the backlog the submitting thread never yields: a producer that the pool keeps
        // up with pays nothing.
        for (int i = 0; i < PoolHandle::YieldBacklog; ++i)
            futures.append(pool.createTask([i] { return i; }));
        QCOMPARE(yields(pool), 0);
        // Past it, every YieldEvery-th submission yields (and still returns its future at once).
        for (int i = int(PoolHandle::YieldBacklog); i < FloodSize; ++i)
            futures.append(pool.createTask([i] { return i; }));
        const qint64 past = FloodSize - PoolHandle::YieldBacklog;
        QVERIFY2(yields(pool) >= past / PoolHandle::YieldEvery - 1
                     && yields(pool) <= past / PoolHandle::YieldEvery + 1,
                 qPrintable(QStringLiteral("%1 yields for %2 submissions past the backlog")
                                .arg(yields(pool))
                                .arg(past)));
    }
    checkResults(futures);
    pool.stop();
    QCOMPARE(pool.status()->completed(), FloodSize + 1);
}

void tst_Wake::noYieldWhileEverySlotIsTaken()
{
    // The buffer of a pool at its `size` waits for running tasks to finish, not for CPU time:
    // yielding would slow the submitter down for nothing.
    BlockingThreadedTaskPool pool({.name = QStringLiteral("full"), .size = 2});
    Gates gates;
    pool.start();
    QFuture<void> first = pool.createTask(gates.task());
    QFuture<void> second = pool.createTask(gates.task());
    QTRY_COMPARE(gates.count(), 2); // both running
    QList<QFuture<int>> futures;
    for (int i = 0; i < FloodSize; ++i)
        futures.append(pool.createTask([i] { return i; }));
    QCOMPARE(yields(pool), 0);
    gates.openAll();
    checkResults(futures);
    first.waitForFinished();
    second.waitForFinished();
    pool.stop();
}

void tst_Wake::noYieldOnThePoolsOwnThread()
{
    // A task flooding its own pool is the pool thread: yielding cannot help it catch up.
    BlockingThreadedTaskPool pool({.name = QStringLiteral("own-thread")});
    pool.start();
    const QList<QFuture<int>> futures = pool.run([&pool] {
        QList<QFuture<int>> submitted;
        for (int i = 0; i < FloodSize; ++i)
            submitted.append(pool.createTask([i] { return i; }));
        return submitted;
    });
    QCOMPARE(yields(pool), 0);
    checkResults(futures);
    pool.stop();
}

QTEST_GUILESS_MAIN(tst_Wake)
#include "tst_wake.moc"
