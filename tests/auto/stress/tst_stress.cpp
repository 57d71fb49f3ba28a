// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// Stress: 8 producer threads submit a random mix of tasks (synchronous, throwing, asynchronous,
// failing, timing out, canceled by the caller, nested into another pool, racing a cancel, and
// blocking run() calls) into six long-lived pools of both kinds with different size, timeout
// and maxPending, while two more threads keep creating, starting, restarting, stopping (with
// and without grace) and destroying pools of their own. At the end every outer future must
// have finished with an outcome its kind allows, every pool's status must balance and agree
// with what the futures say, and no pool thread may be left.
//
// Scale: TASKTOOLS_STRESS_TASKS (per producer; default 100000, less under sanitizers),
// TASKTOOLS_STRESS_SECONDS (a soft time budget for the producers; default 240),
// TASKTOOLS_STRESS_SEED (to replay a run; printed at the start).

#include <tasktools/tasktools.h>

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QPromise>
#include <QtCore/QRandomGenerator>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <random>
#include <variant>
#include <vector>

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool UnderSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool UnderSanitizer = true;
#else
constexpr bool UnderSanitizer = false;
#endif
#else
constexpr bool UnderSanitizer = false;
#endif

#if defined(__SANITIZE_THREAD__)
constexpr int DefaultTasks = 20'000; // TSan: slower, and 2 cores
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr int DefaultTasks = 20'000;
#else
constexpr int DefaultTasks = UnderSanitizer ? 30'000 : 100'000;
#endif
#else
constexpr int DefaultTasks = UnderSanitizer ? 30'000 : 100'000;
#endif

int envInt(const char *name, int fallback)
{
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok ? value : fallback;
}

struct StressError : std::runtime_error
{
    explicit StressError(int c) : std::runtime_error("stress failure"), code(c) { }
    int code;
};

// --- the pools' side -------------------------------------------------------------------------

// Every pool thread that ran, recorded by its context's enter. Once a pool is destroyed, each
// of its threads must have finished (joined) or been deleted.
class PoolThreads
{
public:
    void add(QThread *thread)
    {
        QMutexLocker locker(&m_mutex);
        m_threads.emplace_back(thread);
    }
    // How many recorded threads are neither deleted nor finished.
    int unfinished() const
    {
        QMutexLocker locker(&m_mutex);
        int n = 0;
        for (const QPointer<QThread> &thread : m_threads) {
            if (thread && !thread->isFinished())
                ++n;
        }
        return n;
    }
    int count() const
    {
        QMutexLocker locker(&m_mutex);
        return int(m_threads.size());
    }

private:
    mutable QMutex m_mutex;
    std::vector<QPointer<QThread>> m_threads;
};
PoolThreads poolThreads;

// A QObject on the pool thread, created by a context's enter and deleted by its exit: the
// parent of the timers that finish asynchronous tasks, so none outlives the run.
struct Home
{
    std::shared_ptr<QPointer<QObject>> object = std::make_shared<QPointer<QObject>>();

    template<typename Pool>
    void install(Pool &pool) const
    {
        pool.addContext(
            [o = object] {
                *o = new QObject;
                poolThreads.add(QThread::currentThread());
            },
            [o = object] { delete o->data(); });
    }

    // A future finished on the pool thread after `ms`: with `value`, or failing.
    QFuture<int> later(int ms, int value, bool fail) const
    {
        auto promise = std::make_shared<QPromise<int>>();
        promise->start();
        auto *timer = new QTimer(object->data());
        timer->setSingleShot(true);
        timer->setTimerType(Qt::PreciseTimer);
        QObject::connect(timer, &QTimer::timeout, timer, [promise, value, fail, timer] {
            if (fail)
                promise->setException(std::make_exception_ptr(StressError(value)));
            else
                promise->addResult(value);
            promise->finish();
            timer->deleteLater();
        });
        timer->start(ms);
        return promise->future();
    }
};

// A future that never finishes by itself: only the task's callable holds its promise, so it
// ends (canceled) when the pool releases the callable after a timeout, cancel or grace.
QFuture<int> never(const std::shared_ptr<QPromise<int>> &promise)
{
    promise->start();
    return promise->future();
}

// Both pool kinds behind one face.
class AnyPool
{
public:
    AnyPool(bool async, const PoolOptions &options)
    {
        if (async)
            m_async = std::make_unique<AsyncThreadedTaskPool>(options);
        else
            m_blocking = std::make_unique<BlockingThreadedTaskPool>(options);
        if (m_async)
            m_home.install(*m_async);
        else
            m_home.install(*m_blocking);
        m_options = options;
    }

    bool isAsync() const { return bool(m_async); }
    const PoolOptions &options() const { return m_options; }
    const Home &home() const { return m_home; }
    PoolStatus *status() const { return m_async ? m_async->status() : m_blocking->status(); }
    bool isRunning() const { return m_async ? m_async->isRunning() : m_blocking->isRunning(); }

    void start()
    {
        if (m_async)
            m_async->start().waitForFinished();
        else
            m_blocking->start();
    }
    // -1: stop() without grace.
    void stop(int graceMs)
    {
        if (m_async) {
            QFuture<void> f =
                graceMs < 0 ? m_async->stop() : m_async->stop(std::chrono::milliseconds(graceMs));
            f.waitForFinished();
        } else if (graceMs < 0) {
            m_blocking->stop();
        } else {
            m_blocking->stop(std::chrono::milliseconds(graceMs));
        }
    }

    template<typename F>
    QFuture<int> createTask(F &&f)
    {
        if (m_async)
            return m_async->createTask(std::forward<F>(f));
        return m_blocking->createTask(std::forward<F>(f));
    }

    template<typename F>
    int run(F &&f)
    {
        Q_ASSERT(m_blocking);
        return m_blocking->run(std::forward<F>(f));
    }

private:
    std::unique_ptr<AsyncThreadedTaskPool> m_async;
    std::unique_ptr<BlockingThreadedTaskPool> m_blocking;
    PoolOptions m_options;
    Home m_home;
};

// --- what a future may end with --------------------------------------------------------------

enum class Kind : quint8 {
    Sync, // returns its id
    Throw, // throws StressError(id)
    Delayed, // asynchronous: its id after 0-2 ms (or an already finished future)
    AsyncFail, // asynchronous: fails with StressError(id)
    Nested, // asynchronous: returns another pool's future for a task returning its id
    TimesOut, // asynchronous, never finishes: only where the pool has a timeout
    CallerCancel, // asynchronous, never finishes: the producer cancels it at once
    RacyCancel, // synchronous, canceled by the producer at once: result or canceled
    Run, // a blocking run() (blocking pools only): its id, checked on the spot
};
constexpr int KindCount = 9;

enum class End : quint8 { Result, Failed, TimedOut, Canceled, Pending };

struct Outcome
{
    End end = End::Pending;
    int value = -1; // the result, or StressError::code
    bool full = false; // failed with PoolFullError (a nested submission was refused)
    bool other = false; // failed with an unexpected exception
};

Outcome outcomeOf(const QFuture<int> &future)
{
    Outcome o;
    if (!future.isFinished())
        return o;
    try {
        QFuture<int>(future).waitForFinished();
    } catch (const TimeoutError &) {
        o.end = End::TimedOut;
        return o;
    } catch (const StressError &e) {
        o.end = End::Failed;
        o.value = e.code;
        return o;
    } catch (const PoolFullError &) {
        o.end = End::Failed;
        o.full = true;
        return o;
    } catch (...) {
        o.end = End::Failed;
        o.other = true;
        return o;
    }
    // Qt 6.4 lets cancel() flag a future that already finished: a result still counts as one.
    if (future.resultCount() > 0) {
        o.end = End::Result;
        o.value = QFuture<int>(future).result();
    } else {
        o.end = End::Canceled;
    }
    return o;
}

// What the futures of one pool said, to compare with its status.
struct Tally
{
    std::atomic<qint64> accepted {0};
    std::atomic<qint64> rejected {0}; // PoolFullError at submission (producers and nested tasks)
    std::atomic<qint64> results {0};
    std::atomic<qint64> failed {0};
    std::atomic<qint64> timedOut {0};
    std::atomic<qint64> canceled {0};
    std::atomic<qint64> racy {0}; // RacyCancel tasks: the pool may count either way
};

class Errors
{
public:
    void add(const QString &message)
    {
        QMutexLocker locker(&m_mutex);
        if (++m_count <= 30)
            m_messages.append(message);
    }
    int count() const
    {
        QMutexLocker locker(&m_mutex);
        return m_count;
    }
    QString text() const
    {
        QMutexLocker locker(&m_mutex);
        return m_messages.join(QLatin1Char('\n'));
    }

private:
    mutable QMutex m_mutex;
    int m_count = 0;
    QStringList m_messages;
};

const char *kindName(Kind kind)
{
    static const char *names[KindCount] = {"sync",       "throw",       "delayed",
                                           "async-fail", "nested",      "timeout",
                                           "cancel",     "racy-cancel", "run"};
    return names[int(kind)];
}

// Checks one finished future against its kind and adds it to `tally`. `graceStop`: the pool
// may have been stopped with a grace, so anything may also end canceled.
void check(Kind kind, int id, const QFuture<int> &future, bool poolHasTimeout, bool graceStop,
           Tally &tally, Errors &errors)
{
    const Outcome o = outcomeOf(future);
    auto fail = [&](const char *why) {
        errors.add(QStringLiteral("%1 task %2: %3 (end %4, value %5)")
                       .arg(QLatin1String(kindName(kind)))
                       .arg(id)
                       .arg(QLatin1String(why))
                       .arg(int(o.end))
                       .arg(o.value));
    };
    switch (o.end) {
    case End::Pending:
        fail("never finished");
        return;
    case End::Result:
        ++tally.results;
        break;
    case End::Failed:
        ++tally.failed;
        break;
    case End::TimedOut:
        ++tally.timedOut;
        break;
    case End::Canceled:
        ++tally.canceled;
        break;
    }
    if (o.end == End::Canceled && graceStop)
        return;
    if (o.end == End::Failed && o.other) {
        fail("unexpected exception");
        return;
    }
    switch (kind) {
    case Kind::Sync:
    case Kind::Delayed:
    case Kind::Run:
        if (o.end != End::Result || o.value != id)
            fail("expected its result");
        break;
    case Kind::Throw:
    case Kind::AsyncFail:
        if (o.end != End::Failed || o.value != id)
            fail("expected its StressError");
        break;
    case Kind::Nested:
        if (!(o.end == End::Result && o.value == id) && !(o.end == End::Failed && o.full))
            fail("expected its result or PoolFullError");
        break;
    case Kind::TimesOut:
        if (o.end != End::TimedOut)
            fail("expected TimeoutError");
        break;
    case Kind::CallerCancel:
        // With a timeout, the producer may have lost the race to the timeout.
        if (o.end != End::Canceled && !(poolHasTimeout && o.end == End::TimedOut))
            fail("expected canceled");
        break;
    case Kind::RacyCancel:
        ++tally.racy;
        if (!(o.end == End::Canceled) && !(o.end == End::Result && o.value == id))
            fail("expected its result or canceled");
        break;
    }
}

struct Record
{
    QFuture<int> future;
    int id;
    Kind kind;
    quint8 pool;
};

QStringList poolThreadsAlive(const QString &prefix)
{
    QStringList alive;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + QStringLiteral("/comm")));
        if (!comm.open(QIODevice::ReadOnly))
            continue;
        const QString name = QString::fromUtf8(comm.readAll()).trimmed();
        if (name.startsWith(prefix))
            alive.append(name);
    }
    return alive;
}

qint64 peakRssKb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

} // namespace

class tst_Stress : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mixedLoadWithChurn();

private:
    void produce(int producer, int tasks, quint32 seed);
    void churn(int churner, quint32 seed);

    static constexpr int PoolCount = 6;
    std::array<std::unique_ptr<AnyPool>, PoolCount> m_pools;
    std::array<Tally, PoolCount> m_tallies;
    std::array<std::atomic<qint64>, PoolCount> m_nestedInto {}; // inner tasks accepted
    Errors m_errors;
    std::atomic<qint64> m_progress {0};
    std::atomic<bool> m_producing {true};
    QElapsedTimer m_clock;
    qint64 m_budgetMs = 0;
    std::atomic<qint64> m_churnPools {0};
    std::atomic<qint64> m_churnTasks {0};
};

void tst_Stress::produce(int producer, int tasks, quint32 seed)
{
    std::mt19937 rng(seed);
    std::deque<Record> window;
    constexpr std::size_t Window = 2048;
    auto settle = [&](Record &r) {
        AnyPool &pool = *m_pools[r.pool];
        try {
            r.future.waitForFinished(); // rethrows the task's exception: outcomeOf() sorts it
        } catch (...) { }
        check(r.kind, r.id, r.future, pool.options().timeout.count() > 0, false, m_tallies[r.pool],
              m_errors);
        m_progress.fetch_add(1, std::memory_order_relaxed);
    };
    for (int i = 0; i < tasks; ++i) {
        if ((i & 1023) == 0 && m_clock.elapsed() > m_budgetMs)
            break; // the soft time budget ran out: settle what is in flight and report
        const int id = producer * 10'000'000 + i;
        const auto p = quint8(rng() % PoolCount);
        AnyPool &pool = *m_pools[p];
        const bool hasTimeout = pool.options().timeout.count() > 0;
        const Home &home = pool.home();
        // Weights per 1000: mostly cheap synchronous work, a little of everything else.
        const int roll = int(rng() % 1000);
        Kind kind = roll < 550 ? Kind::Sync
            : roll < 650       ? Kind::Throw
            : roll < 800       ? Kind::Delayed
            : roll < 850       ? Kind::AsyncFail
            : roll < 880       ? Kind::Nested
            : roll < 885       ? Kind::TimesOut
            : roll < 905       ? Kind::CallerCancel
            : roll < 995       ? Kind::RacyCancel
                               : Kind::Run;
        if (kind == Kind::TimesOut && !hasTimeout)
            kind = Kind::CallerCancel;
        // Nested: into a higher pool only (no cycles), from a pool without timeout (the inner
        // pool's queue decides how long it takes).
        if (kind == Kind::Nested && (hasTimeout || p + 1 >= PoolCount))
            kind = Kind::Delayed;
        if (kind == Kind::Run && pool.isAsync())
            kind = Kind::Sync;
        try {
            QFuture<int> f;
            switch (kind) {
            case Kind::Sync:
            case Kind::RacyCancel:
                f = pool.createTask([id] { return id; });
                break;
            case Kind::Throw:
                f = pool.createTask([id]() -> int { throw StressError(id); });
                break;
            case Kind::Delayed: {
                const int ms = int(rng() % 3);
                const bool ready = rng() % 5 == 0;
                f = pool.createTask([&home, id, ms, ready] {
                    return ready ? QtFuture::makeReadyFuture(id) : home.later(ms, id, false);
                });
                break;
            }
            case Kind::AsyncFail: {
                const int ms = int(rng() % 3);
                f = pool.createTask([&home, id, ms] { return home.later(ms, id, true); });
                break;
            }
            case Kind::Nested: {
                const auto q = quint8(p + 1 + rng() % (PoolCount - p - 1));
                f = pool.createTask([this, q, id] {
                    try {
                        QFuture<int> inner = m_pools[q]->createTask([id] { return id; });
                        m_nestedInto[q].fetch_add(1, std::memory_order_relaxed);
                        return inner;
                    } catch (const PoolFullError &) {
                        m_tallies[q].rejected.fetch_add(1, std::memory_order_relaxed);
                        throw;
                    }
                });
                break;
            }
            case Kind::TimesOut:
            case Kind::CallerCancel:
                f = pool.createTask(
                    [promise = std::make_shared<QPromise<int>>()] { return never(promise); });
                break;
            case Kind::Run: {
                const int value = pool.run([id] { return id; });
                f = QtFuture::makeReadyFuture(value);
                break;
            }
            }
            ++m_tallies[p].accepted;
            if (kind == Kind::CallerCancel || kind == Kind::RacyCancel)
                f.cancel();
            window.push_back({f, id, kind, p});
        } catch (const PoolFullError &) {
            ++m_tallies[p].rejected;
            QThread::yieldCurrentThread();
        }
        while (window.size() > Window) {
            settle(window.front());
            window.pop_front();
        }
    }
    for (Record &r : window)
        settle(r);
}

// Creates, starts, restarts, stops and destroys pools of its own, checking each one.
void tst_Stress::churn(int churner, quint32 seed)
{
    std::mt19937 rng(seed);
    for (int n = 0; m_producing.load(); ++n) {
        const bool async = rng() % 2;
        const PoolOptions options {
            .name = QStringLiteral("churn-%1-%2").arg(churner).arg(n),
            .size = int(rng() % 4),
            .timeout = rng() % 2 ? 10ms : 0ms,
            .maxPending = rng() % 3 ? 0 : 32,
        };
        const bool hasTimeout = options.timeout.count() > 0;
        auto pool = std::make_unique<AnyPool>(async, options);
        Tally tally;
        std::vector<Record> records;
        int graceStops = 0;
        const int runs = 1 + int(rng() % 2); // sometimes a restart
        enum class End { Drain, Grace, Destroy } end = End::Drain;
        for (int run = 0; run < runs; ++run) {
            pool->start();
            const int count = 20 + int(rng() % 200);
            for (int i = 0; i < count; ++i) {
                const int id = 100'000'000 + churner * 10'000'000 + i;
                const int roll = int(rng() % 10);
                Kind kind = roll < 4 ? Kind::Sync
                    : roll < 5       ? Kind::Throw
                    : roll < 7       ? Kind::Delayed
                    : roll < 8       ? Kind::AsyncFail
                    : roll < 9       ? Kind::CallerCancel
                                     : Kind::TimesOut;
                if (kind == Kind::TimesOut && !hasTimeout)
                    kind = Kind::CallerCancel;
                const Home &home = pool->home();
                try {
                    QFuture<int> f;
                    switch (kind) {
                    case Kind::Sync:
                        f = pool->createTask([id] { return id; });
                        break;
                    case Kind::Throw:
                        f = pool->createTask([id]() -> int { throw StressError(id); });
                        break;
                    case Kind::Delayed:
                        f = pool->createTask([&home, id] { return home.later(1, id, false); });
                        break;
                    case Kind::AsyncFail:
                        f = pool->createTask([&home, id] { return home.later(1, id, true); });
                        break;
                    default:
                        f = pool->createTask([promise = std::make_shared<QPromise<int>>()] {
                            return never(promise);
                        });
                        break;
                    }
                    ++tally.accepted;
                    if (kind == Kind::CallerCancel)
                        f.cancel();
                    records.push_back({f, id, kind, 0});
                } catch (const PoolFullError &) {
                    ++tally.rejected;
                }
            }
            const int action = int(rng() % 4);
            const bool last = run == runs - 1;
            if (action == 0 && last) {
                end = End::Destroy; // the destructor drains a running pool
                break;
            }
            if (action == 1) {
                pool->stop(int(rng() % 5));
                ++graceStops;
                end = End::Grace;
            } else {
                pool->stop(-1);
                end = End::Drain;
            }
        }
        if (end != End::Destroy) {
            const PoolStatus *s = pool->status();
            const qint64 ended = s->completed() + s->failed() + s->timedOut() + s->canceled();
            if (s->submitted() != ended || s->pending() != 0 || s->running() != 0
                || s->submitted() != tally.accepted || s->rejected() != tally.rejected)
                m_errors.add(QStringLiteral("churn pool %1 does not balance").arg(options.name));
        }
        pool.reset();
        for (const Record &r : records)
            check(r.kind, r.id, r.future, hasTimeout, graceStops > 0, tally, m_errors);
        m_churnPools.fetch_add(1);
        m_churnTasks.fetch_add(qint64(records.size()));
        m_progress.fetch_add(1, std::memory_order_relaxed);
    }
}

void tst_Stress::mixedLoadWithChurn()
{
    constexpr int Producers = 8;
    constexpr int Churners = 2;
    const int tasks = envInt("TASKTOOLS_STRESS_TASKS", DefaultTasks);
    m_budgetMs = qint64(envInt("TASKTOOLS_STRESS_SECONDS", 240)) * 1000;
    const quint32 seed =
        quint32(envInt("TASKTOOLS_STRESS_SEED", int(QRandomGenerator::global()->bounded(1 << 30))));
    qInfo("stress: %d producers x %d tasks, seed %u (TASKTOOLS_STRESS_SEED to replay)", Producers,
          tasks, seed);
    std::mt19937 rng(seed);

    // Six pools covering the options: unlimited / FIFO / limited, with and without timeout and
    // maxPending, both front-ends.
    const std::array<PoolOptions, PoolCount> options {{
        {.name = QStringLiteral("stress-0"), .size = 0},
        {.name = QStringLiteral("stress-1"), .size = 1},
        {.name = QStringLiteral("stress-2"), .size = 4, .timeout = 50ms},
        {.name = QStringLiteral("stress-3"), .size = 0, .timeout = 30ms, .maxPending = 256},
        {.name = QStringLiteral("stress-4"), .size = 2, .maxPending = 64},
        {.name = QStringLiteral("stress-5"),
         .size = int(1 + rng() % 16),
         .timeout = std::chrono::milliseconds(20 + rng() % 60)},
    }};
    for (int i = 0; i < PoolCount; ++i) {
        m_pools[std::size_t(i)] = std::make_unique<AnyPool>(i % 2 == 1, options[std::size_t(i)]);
        m_pools[std::size_t(i)]->start();
    }

    m_clock.start();
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < Producers; ++t) {
        const quint32 s = quint32(rng());
        threads.emplace_back(QThread::create([this, t, tasks, s] { produce(t, tasks, s); }));
    }
    std::vector<std::unique_ptr<QThread>> churners;
    for (int t = 0; t < Churners; ++t) {
        const quint32 s = quint32(rng());
        churners.emplace_back(QThread::create([this, t, s] { churn(t, s); }));
    }
    for (auto &thread : threads)
        thread->start();
    for (auto &thread : churners)
        thread->start();

    // Meanwhile: read the statuses (from this, their owner thread, with its loop running for
    // their notifications) and watch for a hang: no progress for a minute fails the test.
    qint64 lastProgress = -1;
    QElapsedTimer stalled;
    stalled.start();
    auto producersDone = [&] {
        for (auto &thread : threads) {
            if (!thread->isFinished())
                return false;
        }
        return true;
    };
    while (!producersDone()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        for (int i = 0; i < PoolCount; ++i) {
            const PoolStatus *s = m_pools[std::size_t(i)]->status();
            const int size = options[std::size_t(i)].size;
            if (s->pending() < 0 || s->running() < 0 || (size > 0 && s->running() > size))
                m_errors.add(QStringLiteral("pool %1: status out of range").arg(i));
        }
        const qint64 progress = m_progress.load();
        if (progress != lastProgress) {
            lastProgress = progress;
            stalled.restart();
        } else if (stalled.elapsed() > 60'000) {
            for (int i = 0; i < PoolCount; ++i) {
                const PoolStatus *s = m_pools[std::size_t(i)]->status();
                qWarning("pool %d: pending %d running %d submitted %lld ended %lld", i,
                         s->pending(), s->running(), s->submitted(),
                         s->completed() + s->failed() + s->timedOut() + s->canceled());
            }
            qFatal("stress: no progress for 60 s (a hang)");
        }
        QThread::msleep(20); // pacing of the status reads, not synchronisation
    }
    m_producing = false;
    for (auto &thread : threads)
        QVERIFY(thread->wait(60'000));
    for (auto &thread : churners)
        QVERIFY(thread->wait(120'000));
    const double seconds = double(m_clock.elapsed()) / 1000.0;

    qint64 accepted = 0;
    for (int i = 0; i < PoolCount; ++i) {
        AnyPool &pool = *m_pools[std::size_t(i)];
        pool.stop(-1);
        const PoolStatus *s = pool.status();
        const Tally &t = m_tallies[std::size_t(i)];
        const qint64 nested = m_nestedInto[std::size_t(i)].load();
        accepted += t.accepted + nested;
        qInfo("pool %d (%s, size %d, timeout %lld ms, maxPending %d): submitted %lld, completed "
              "%lld, failed %lld, timed out %lld, canceled %lld, rejected %lld",
              i, pool.isAsync() ? "async" : "blocking", pool.options().size,
              qint64(pool.options().timeout.count()), pool.options().maxPending, s->submitted(),
              s->completed(), s->failed(), s->timedOut(), s->canceled(), s->rejected());
        QCOMPARE(s->submitted(), s->completed() + s->failed() + s->timedOut() + s->canceled());
        QCOMPARE(s->pending(), 0);
        QCOMPARE(s->running(), 0);
        QVERIFY(!s->isActive());
        // The status agrees with the futures. Nested inner tasks always complete; a cancel that
        // raced a synchronous task's end may be counted either way by the pool.
        QCOMPARE(s->submitted(), t.accepted + nested);
        QCOMPARE(s->rejected(), t.rejected.load());
        QCOMPARE(s->failed(), t.failed.load());
        QCOMPARE(s->timedOut(), t.timedOut.load());
        QCOMPARE(s->completed() + s->canceled(), t.results + t.canceled + nested);
        QVERIFY(qAbs(s->completed() - (t.results + nested)) <= t.racy);
    }
    for (auto &pool : m_pools)
        pool.reset();
    // Every pool has been destroyed, which joined its threads: each one that ran has finished.
    QVERIFY(poolThreads.count() > PoolCount);
    QCOMPARE(poolThreads.unfinished(), 0);
    // And no pool thread is left in the process (this also covers a run whose contexts never
    // entered). QThread::wait() returns as the thread function ends, before the thread has
    // finished exiting (thread-local destructors, the C library's and a sanitizer's teardown,
    // then the kernel): on a loaded machine a joined thread can stay listed in /proc for a
    // while. So poll, with a bound far beyond any teardown: a thread left running fails here.
    auto alive = [] {
        return poolThreadsAlive(QStringLiteral("stress-"))
            + poolThreadsAlive(QStringLiteral("churn-"));
    };
    QElapsedTimer reaping;
    reaping.start();
    QTRY_VERIFY2_WITH_TIMEOUT(alive().isEmpty(), qPrintable(alive().join(QLatin1Char(' '))),
                              60'000);
    if (reaping.elapsed() > 1000)
        qInfo("stress: the joined pool threads took %lld ms to leave /proc", reaping.elapsed());
    QVERIFY2(m_errors.count() == 0,
             qPrintable(QStringLiteral("%1 errors:\n").arg(m_errors.count()) + m_errors.text()));
    qInfo("stress: %lld tasks in the six pools + %lld in %lld churned pools, %.1f s, "
          "%.0f tasks/s, peak RSS %lld MiB",
          accepted, m_churnTasks.load(), m_churnPools.load(), seconds,
          double(accepted + m_churnTasks.load()) / seconds, peakRssKb() / 1024);
}

QTEST_GUILESS_MAIN(tst_Stress)
#include "tst_stress.moc"
