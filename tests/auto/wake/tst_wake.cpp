// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// The wake protocol: a pool thread that lingers for more submissions before it sleeps (and a
// blocking run() that polls before it sleeps) must still give its event loop its turn.
#include <tasktools/tasktools.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QPromise>
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
};

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

QTEST_GUILESS_MAIN(tst_Wake)
#include "tst_wake.moc"
