// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#include <tasktools/tasktools.h>

#include "gates.h"

#include <QtCore/QTimer>
#include <QtQml/QQmlContext>
#include <QtQml/QQmlEngine>
#include <QtQuickTest/quicktest.h>

#include <stdexcept>

using namespace TaskTools;

// A live pool that the QML tests drive (as `driver`) and observe through its status.
// Lives in the engine's thread; the pool's thread runs the tasks.
class PoolDriver : public QObject
{
    Q_OBJECT
    Q_PROPERTY(TaskTools::PoolStatus *status READ status CONSTANT)
    Q_PROPERTY(int timeoutMs READ timeoutMs CONSTANT)

public:
    static constexpr int Size = 4;
    static constexpr int TimeoutMs = 1500;

    explicit PoolDriver(QObject *parent = nullptr)
        : QObject(parent),
          m_pool({.name = QStringLiteral("qml-pool"),
                  .size = Size,
                  .timeout = std::chrono::milliseconds(TimeoutMs)})
    {
        connect(&m_feeder, &QTimer::timeout, this, [this] {
            for (int i = 0; i < 20; ++i)
                (void)m_pool.createTask([] {});
        });
    }

    PoolStatus *status() const { return m_pool.status(); }
    int timeoutMs() const { return TimeoutMs; }

    // Throwing through QML would abort the test: misuse is checked in C++ tests, not here.
    Q_INVOKABLE void start()
    {
        if (!m_pool.isRunning())
            (void)m_pool.start();
    }
    Q_INVOKABLE void stop()
    {
        m_feeder.stop();
        m_held.openAll();
        if (m_pool.isRunning())
            (void)m_pool.stop();
    }
    // Tasks that complete, fail, and never finish (so they time out).
    Q_INVOKABLE void submit(int completing, int failing, int timingOut)
    {
        for (int i = 0; i < completing; ++i)
            (void)m_pool.createTask([] {});
        for (int i = 0; i < failing; ++i)
            (void)m_pool.createTask([] { throw std::runtime_error("failing on purpose"); });
        for (int i = 0; i < timingOut; ++i)
            (void)m_pool.createTask(m_stuck.task());
    }
    // Tasks that run until releaseHeld().
    Q_INVOKABLE void hold(int count)
    {
        for (int i = 0; i < count; ++i)
            (void)m_pool.createTask(m_held.task());
    }
    Q_INVOKABLE void releaseHeld() { m_held.openAll(); }
    // A steady stream of short tasks, fed from this thread's loop.
    Q_INVOKABLE void startStream() { m_feeder.start(5); }
    Q_INVOKABLE void stopStream() { m_feeder.stop(); }

private:
    AsyncThreadedTaskPool m_pool;
    QTimer m_feeder;
    // Destroyed before the pool, they open their gates, so that its destructor drains at once.
    Gates m_held; // opened by releaseHeld() and stop()
    Gates m_stuck; // left to time out
};

// Hands a live pool to each QML test file's engine, and the module's build-tree import path.
class Setup : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(TASKTOOLS_QML_IMPORT_PATH));
        engine->rootContext()->setContextProperty(QStringLiteral("driver"), new PoolDriver(engine));
    }
};

QUICK_TEST_MAIN_WITH_SETUP(qmlstatus, Setup)

#include "tst_qmlstatus.moc"
