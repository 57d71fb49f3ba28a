// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef DASHBOARD_POOLWORKLOAD_H
#define DASHBOARD_POOLWORKLOAD_H

#include <tasktools/tasktools.h>

#include <QtCore/QObject>
#include <QtCore/QTimer>
#include <QtCore/QVariantList>
#include <QtQml/qqml.h>

// One pool of the dashboard and the synthetic workload that keeps it busy: a generator in the
// GUI thread submits tasks at `rate` per second; each task takes a random time, and some fail
// or outlast the pool's timeout. The QML side binds to `status` (the pool's PoolStatus) and
// calls start(), stop() and addLoad().
//
// Lives in the GUI thread and owns its pool; the pool's thread runs the tasks. The per-task
// signals taskFailed() and taskTimedOut() are emitted on the pool thread and reach this object
// queued, in the GUI thread, where they feed `events`.
class PoolWorkload : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("PoolWorkload objects are created by main.cpp")
    Q_PROPERTY(QString title READ title CONSTANT)
    Q_PROPERTY(QString description READ description CONSTANT)
    Q_PROPERTY(TaskTools::PoolStatus *status READ status CONSTANT)
    Q_PROPERTY(int timeoutMs READ timeoutMs CONSTANT)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(double rate READ rate WRITE setRate NOTIFY rateChanged)
    // The latest failures and timeouts, newest first: {time, kind ("failed"|"timedOut"), text}.
    Q_PROPERTY(QVariantList events READ events NOTIFY eventsChanged)

public:
    enum class State { Stopped, Starting, Running, Stopping };
    Q_ENUM(State)

    // What one workload does.
    struct Profile
    {
        QString title;
        QString description;
        TaskTools::PoolOptions options;
        double rate = 10; // tasks submitted per second
        bool asynchronous = false; // waits on the pool thread's event loop, or computes
        int minMs = 10; // duration of one task, uniformly distributed
        int maxMs = 100;
        double failureRatio = 0.05;
        QString failureMessage;
    };

    explicit PoolWorkload(Profile profile, QObject *parent = nullptr);
    ~PoolWorkload() override;

    QString title() const { return m_profile.title; }
    QString description() const { return m_profile.description; }
    TaskTools::PoolStatus *status() const { return m_pool.status(); }
    int timeoutMs() const { return int(m_profile.options.timeout.count()); }
    State state() const { return m_state; }
    double rate() const { return m_profile.rate; }
    void setRate(double rate);
    QVariantList events() const { return m_events; }

    Q_INVOKABLE void start();
    Q_INVOKABLE void stop();
    // A burst of `count` tasks at once, on top of the steady rate.
    Q_INVOKABLE void addLoad(int count);

Q_SIGNALS:
    void stateChanged();
    void rateChanged();
    void eventsChanged();

private:
    void setState(State state);
    void submitOne();
    void generate();
    void note(const QString &kind, const QString &text);

    Profile m_profile;
    QObject *m_timerHost = nullptr; // pool thread only: parent of the simulated I/O timers
    // Declared after what its tasks use: destroyed (drained) before them.
    TaskTools::AsyncThreadedTaskPool m_pool;
    QTimer m_generator;
    double m_owed = 0; // fractional tasks carried from one generator tick to the next
    State m_state = State::Stopped;
    QVariantList m_events;
};

#endif // DASHBOARD_POOLWORKLOAD_H
