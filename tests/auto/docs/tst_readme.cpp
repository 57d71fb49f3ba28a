// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
// The README's tour, compiled and run, so that the documentation cannot drift from the API.
#include <tasktools/tasktools.h>

#include <QtCore/QPromise>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

// Stands in for the README's download(nam, url): a future finished on the pool thread's loop.
struct FakeNetworkManager
{
    QThread *thread = QThread::currentThread();
};

QFuture<QByteArray> download(FakeNetworkManager *nam, const QString &url)
{
    auto promise = std::make_shared<QPromise<QByteArray>>();
    promise->start();
    const bool onItsThread = nam && nam->thread == QThread::currentThread();
    QTimer::singleShot(10, [promise, url, onItsThread] {
        promise->addResult(onItsThread ? url.toUtf8() : QByteArray("wrong thread"));
        promise->finish();
    });
    return promise->future();
}

} // namespace

class tst_Readme : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void blockingPool();
    void asyncPool();

private:
    void show(const QByteArray &body) { m_shown = body; }
    void showTimeout() { m_timedOut = true; }
    QByteArray m_shown;
    bool m_timedOut = false;
};

// The bodies below are the README's snippets, kept aligned as there.
// clang-format off
void tst_Readme::blockingPool()
{
    BlockingThreadedTaskPool pool({.name = QStringLiteral("db"), .size = 4, .timeout = 2s});
    pool.start();                                   // returns once the loop runs
    int n = pool.run([] { return 6 * 7; });         // blocks; returns the result or rethrows
    QFuture<QString> f = pool.createTask([] {       // never blocks
        return QThread::currentThread()->objectName(); // "db": tasks run on the pool thread
    });
    pool.stop();                                    // drains every task, joins the thread

    QCOMPARE(n, 42);
    QCOMPARE(f.result(), QStringLiteral("db"));
}

void tst_Readme::asyncPool()
{
    const QString url = QStringLiteral("https://example.org/");
    {
        AsyncThreadedTaskPool pool({.name = QStringLiteral("net"), .size = 32, .timeout = 200ms});
        FakeNetworkManager *nam = nullptr;           // lives on the pool thread
        pool.addContext([&nam] { nam = new FakeNetworkManager; },   // entered on the pool thread
                        [&nam] { delete nam; nam = nullptr; });      // exited after the last task
        (void)pool.start();                          // QFuture<void>: finishes once entered

        QFuture<void> done =
                pool.run([&nam, url] { return download(nam, url); }) // QFuture<QByteArray>
                        .then(this, [this](const QByteArray &body) { show(body); })
                        .onFailed(this, [this](const TimeoutError &) { showTimeout(); });
        QTRY_VERIFY(done.isFinished());
        QFuture<void> stopped = pool.stop();
        QTRY_VERIFY(stopped.isFinished());
        QVERIFY(!nam);
    }
    QCOMPARE(m_shown, url.toUtf8());
    QVERIFY(!m_timedOut);
}

// clang-format on

QTEST_GUILESS_MAIN(tst_Readme)
#include "tst_readme.moc"
