// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
// A pool needs an application object (Qt runs no event loop without one): without it, start()
// must say so instead of hanging.
#include <tasktools/tasktools.h>

#include <QtCore/QCoreApplication>
#include <QtTest/QtTest>

#include <memory>

using namespace TaskTools;

class tst_NoApplication : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startWithoutApplicationThrows();
    void worksOnceTheApplicationExists();
};

void tst_NoApplication::startWithoutApplicationThrows()
{
    QVERIFY(!QCoreApplication::instance());
    BlockingThreadedTaskPool blocking({.name = QStringLiteral("no-app")});
    try {
        blocking.start();
        QFAIL("start() did not throw");
    } catch (const Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("QCoreApplication")),
                 e.what());
        QCOMPARE(e.poolName(), QStringLiteral("no-app"));
    }
    QVERIFY(!blocking.isRunning());
    AsyncThreadedTaskPool async({.name = QStringLiteral("no-app-async")});
    QVERIFY_THROWS_EXCEPTION(Error, (void)async.start());
    QVERIFY(!async.isRunning());
}

void tst_NoApplication::worksOnceTheApplicationExists()
{
    int argc = 1;
    char name[] = "tst_noapplication";
    char *argv[] = {name, nullptr};
    auto app = std::make_unique<QCoreApplication>(argc, argv);
    {
        BlockingThreadedTaskPool pool({.name = QStringLiteral("with-app")});
        pool.start();
        QCOMPARE(pool.run([] { return 9; }), 9);
        pool.stop();
    }
    app.reset();
}

QTEST_APPLESS_MAIN(tst_NoApplication)
#include "tst_noapplication.moc"
