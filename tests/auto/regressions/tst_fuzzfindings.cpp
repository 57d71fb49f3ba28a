// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// Bugs found by the fuzzer (tests/fuzz/fuzz_pool.cpp), each pinned down by the smallest
// program that showed it.

#include <tasktools/tasktools.h>

#include <QtCore/QPointer>
#include <QtTest/QtTest>

#include <atomic>
#include <memory>

using namespace TaskTools;
using namespace std::chrono_literals;

class tst_FuzzFindings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void statusTimersSurviveDestroyFromPoolThread_data();
    void statusTimersSurviveDestroyFromPoolThread();
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

QTEST_GUILESS_MAIN(tst_FuzzFindings)
#include "tst_fuzzfindings.moc"
