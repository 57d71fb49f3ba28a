// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// tasktools_bench MODE [--n N] [--impl NAME]
//
// The TaskTools benchmark suite: one mode per scenario, each running TaskTools and the
// baselines a Qt developer would otherwise write (std, qt-invoke, qtconcurrent) side by side
// in one process, printing one JSON line per implementation and result. `report FILE...`
// turns such lines (several rounds of them) into the README's tables. run_all.sh runs it all.

#include "baselines.h"
#include "benchutil.h"

#include <tasktools/tasktools.h>

#include "deadlineheap_p.h"
#include "deadlinequeue_p.h"

#include <QtConcurrent/QtConcurrent>
#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QMap>
#include <QtCore/QPromise>
#include <QtCore/QSemaphore>
#include <QtCore/QThreadPool>
#include <QtCore/QTimer>

#include <future>
#include <map>
#include <memory>
#include <random>
#include <ranges>
#include <set>

#include <sys/resource.h>
#include <unistd.h>

using namespace Bench;
using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

struct Args
{
    std::string mode;
    qint64 n = -1; // -1: the mode's default
    std::string impl;
    std::vector<std::string> files; // report
};

Args g_args;

// --impl NAME selects NAME; --impl 'NAME*' selects every impl that starts with NAME.
bool selected(const std::string &impl)
{
    const std::string &want = g_args.impl;
    if (want.empty() || impl == want)
        return true;
    return want.back() == '*' && impl.rfind(want.substr(0, want.size() - 1), 0) == 0;
}

qint64 nOr(qint64 fallback)
{
    return g_args.n > 0 ? g_args.n : fallback;
}

// Best of the rounds below would flatter; the median of interleaved rounds is taken by
// `report` across processes. Within a process each implementation gets one warm-up run.
qint64 warmupN(qint64 n)
{
    return std::min<qint64>(n, 20'000);
}

// --- the TaskTools pools under test ------------------------------------------------------------

PoolOptions optionsFor(const std::string &impl)
{
    PoolOptions options;
    options.name = QString::fromStdString(impl);
    if (impl.find("size64") != std::string::npos)
        options.size = 64;
    if (impl.find("timeout1s") != std::string::npos)
        options.timeout = 1s;
    return options;
}

// `tasktools-nice-10`, a diagnostic (Linux, needs root or CAP_SYS_NICE): the pool thread runs at
// nice -10. Under the default scheduler every runnable thread gets an equal share, so with 8 busy
// producers on 2 cores the pool thread gets 2/9 of the machine while they submit, falls behind,
// and then wakes a waiting producer for nearly every result. This row shows what the contention
// scenario costs once that share is not the limit.
bool raiseThreadPriority()
{
    return setpriority(PRIO_PROCESS, id_t(gettid()), -10) == 0;
}

void raisePoolThreadPriority()
{
    if (!raiseThreadPriority())
        fail("tasktools-nice-10: setpriority(-10) failed (needs root or CAP_SYS_NICE)");
}

// Whether this process may raise a thread's priority (asked on a thread of its own).
bool mayRaiseThreadPriority()
{
    bool may = false;
    std::thread([&] { may = raiseThreadPriority(); }).join();
    return may;
}

int resultOf(QFuture<int> &future)
{
    return future.result();
}

int resultOf(std::future<int> &future)
{
    return future.get();
}

// How each implementation submits task i, which returns i, with a future for its result: the
// same in every scenario that compares them.
auto submitTo(BlockingThreadedTaskPool &pool)
{
    return [&pool](int i) {
        return pool.createTask([i] {
            checkThread();
            return i;
        });
    };
}

auto submitTo(StdWorker &worker)
{
    return [&worker](int i) {
        auto promise = std::make_shared<std::promise<int>>();
        std::future<int> future = promise->get_future();
        worker.post([promise, i] {
            checkThread();
            promise->set_value(i);
        });
        return future;
    };
}

auto submitTo(InvokeWorker &worker)
{
    return [&worker](int i) {
        QPromise<int> promise;
        promise.start();
        QFuture<int> future = promise.future();
        worker.post([promise = std::move(promise), i]() mutable {
            checkThread();
            promise.addResult(i);
            promise.finish();
        });
        return future;
    };
}

auto submitTo(QThreadPool &pool)
{
    return [&pool](int i) {
        return withoutStealing(QtConcurrent::run(&pool, [i] {
            checkThread();
            return i;
        }));
    };
}

// The longest time a producer of the last throughput run spent submitting, in ns: the producers
// start together, so this is when the last task was submitted.
std::atomic<qint64> g_submitNs {0};
// g_submitNs as a share of that run's time (the `submit_share` of the throughput rows).
double g_submitShare = 0;
// How often the producers of the last TaskTools throughput run yielded to the pool thread, which
// had fallen behind (see PoolHandle::YieldBacklog); -1 for the other implementations.
qint64 g_yields = -1;

// A producer's share of the throughput scenario: submits the tasks [begin, end) with `submit`,
// then checks every result.
template<typename Submit>
void produceAndCheck(qint64 begin, qint64 end, Submit submit)
{
    std::vector<decltype(submit(0))> futures;
    futures.reserve(std::size_t(end - begin));
    const Clock::time_point start = Clock::now();
    for (qint64 i = begin; i < end; ++i)
        futures.push_back(submit(int(i)));
    const qint64 submitNs =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    qint64 longest = g_submitNs.load(std::memory_order_relaxed);
    while (submitNs > longest && !g_submitNs.compare_exchange_weak(longest, submitNs)) { }
    for (qint64 i = begin; i < end; ++i) {
        if (resultOf(futures[std::size_t(i - begin)]) != int(i))
            fail("wrong result for task " + std::to_string(i));
    }
}

// The throughput scenario: `producers` threads split the tasks [0, n) between them. Returns
// tasks per second.
template<typename Submit>
double tasksPerSecond(qint64 n, int producers, Submit submit)
{
    g_submitNs.store(0);
    const double seconds = timedProducers(
        producers, n, [&](qint64 begin, qint64 end) { produceAndCheck(begin, end, submit); });
    g_submitShare = double(g_submitNs.load()) / 1e9 / seconds;
    return double(n) / seconds;
}

double throughputTaskTools(const std::string &impl, qint64 n, int producers)
{
    BlockingThreadedTaskPool pool(optionsFor(impl));
    pool.start();
    if (impl.find("nice-10") != std::string::npos)
        pool.run(raisePoolThreadPriority);
    const double rate = tasksPerSecond(n, producers, submitTo(pool));
    pool.stop();
    g_yields = Detail::PoolHandle::yieldsForTesting(pool.status());
    return rate;
}

double throughputStd(qint64 n, int producers)
{
    StdWorker worker;
    return tasksPerSecond(n, producers, submitTo(worker));
}

double throughputInvoke(qint64 n, int producers)
{
    InvokeWorker worker;
    return tasksPerSecond(n, producers, submitTo(worker));
}

double throughputConcurrent(qint64 n, int producers)
{
    QThreadPool pool;
    pool.setMaxThreadCount(1);
    pool.setExpiryTimeout(-1);
    const double rate = tasksPerSecond(n, producers, submitTo(pool));
    pool.waitForDone();
    return rate;
}

// `qfuture-ideal`: not a usable design but meant as the bound of every design that gives each
// task a QFuture (TaskTools beats it since it recycles its records: this consumer frees each
// QFutureInterface on its own thread, the cross-thread malloc pattern the records had): each
// producer creates its tasks' QFutureInterfaces and publishes each in a slot of its own (no lock,
// no queue, no wake-up); the consumer busy-polls every producer's next slot in turn, reports each
// result and finishes the future. What remains is the cost of the futures themselves (Qt's shared
// state, its mutex, its result store and malloc) and, with several producers, of their waits in
// QFuture::result().
double throughputIdealFutures(qint64 n, int producers)
{
    std::vector<std::atomic<QFutureInterface<int> *>> slots(static_cast<std::size_t>(n));
    std::thread consumer([&] {
        std::vector<qint64> next(static_cast<std::size_t>(producers));
        for (int p = 0; p < producers; ++p)
            next[std::size_t(p)] = n * p / producers;
        qint64 done = 0;
        while (done < n) {
            bool idle = true;
            for (int p = 0; p < producers; ++p) {
                const qint64 end = n * (p + 1) / producers;
                for (qint64 &i = next[std::size_t(p)]; i < end; ++i, ++done) {
                    QFutureInterface<int> *fi =
                        slots[std::size_t(i)].load(std::memory_order_acquire);
                    if (!fi)
                        break;
                    idle = false;
                    checkThread();
                    fi->reportResult(int(i));
                    fi->reportFinished();
                    delete fi;
                }
            }
#if defined(__x86_64__) || defined(__i386__)
            if (idle)
                __builtin_ia32_pause();
#endif
        }
    });
    const double rate = tasksPerSecond(n, producers, [&](int i) {
        auto *fi = new QFutureInterface<int>;
        fi->reportStarted();
        QFuture<int> future = fi->future();
        slots[std::size_t(i)].store(fi, std::memory_order_release);
        return future;
    });
    consumer.join();
    return rate;
}

double throughputOf(const std::string &impl, qint64 n, int producers)
{
    if (impl.rfind("tasktools", 0) == 0)
        return throughputTaskTools(impl, n, producers);
    if (impl == "std")
        return throughputStd(n, producers);
    if (impl == "qt-invoke")
        return throughputInvoke(n, producers);
    if (impl == "qtconcurrent")
        return throughputConcurrent(n, producers);
    if (impl == "qfuture-ideal")
        return throughputIdealFutures(n, producers);
    fail("unknown impl " + impl);
}

void runThroughputMode(const char *scenario, int producers, const std::vector<std::string> &impls)
{
    const qint64 n = nOr(1'000'000);
    for (const std::string &impl : impls) {
        if (!selected(impl))
            continue;
        if (impl.find("nice-10") != std::string::npos && !mayRaiseThreadPriority()) {
            std::fprintf(stderr, "tasktools_bench: %s skipped: needs root or CAP_SYS_NICE\n",
                         impl.c_str());
            continue;
        }
        throughputOf(impl, warmupN(n), producers);
        g_yields = -1;
        const double rate = throughputOf(impl, n, producers);
        checkNothingRanOnCaller(impl);
        Row row(scenario, impl, n);
        row.value("tasks_per_s", rate)
            .value("producers", producers)
            .value("submit_share", g_submitShare);
        if (g_yields >= 0)
            row.value("yields", double(g_yields));
        row.print();
    }
}

// --- latency -----------------------------------------------------------------------------------

// Calls `call` n times from a plain thread (after a warm-up), timing each call.
template<typename Call>
Percentiles latencyOf(qint64 n, Call call)
{
    std::vector<qint64> samples;
    samples.reserve(static_cast<std::size_t>(n));
    std::thread caller([&] {
        t_isCaller = true;
        for (qint64 i = 0; i < std::min<qint64>(n, 2000); ++i)
            call();
        for (qint64 i = 0; i < n; ++i) {
            const Clock::time_point start = Clock::now();
            call();
            samples.push_back(
                std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
        }
    });
    caller.join();
    return percentiles(std::move(samples));
}

// The floor: a request and a reply between two sleeping threads, through a condition variable.
class PingPong
{
public:
    PingPong() : m_echo([this] { echo(); }) { }
    ~PingPong()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_requested.notify_one();
        m_echo.join();
    }
    void roundTrip()
    {
        std::unique_lock lock(m_mutex);
        ++m_request;
        m_requested.notify_one();
        m_replied.wait(lock, [this] { return m_reply == m_request; });
    }

private:
    void echo()
    {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_requested.wait(lock, [this] { return m_stop || m_request != m_reply; });
            if (m_stop)
                return;
            m_reply = m_request;
            m_replied.notify_one();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_requested;
    std::condition_variable m_replied;
    quint64 m_request = 0;
    quint64 m_reply = 0;
    bool m_stop = false;
    std::thread m_echo;
};

void runLatency()
{
    const qint64 n = nOr(100'000);
    auto report = [n](const std::string &impl, Percentiles p) {
        checkNothingRanOnCaller(impl);
        Row("latency", impl, n).value("median_us", p.medianUs).value("p99_us", p.p99Us).print();
    };
    if (selected("condvar")) {
        PingPong pingPong;
        report("condvar", latencyOf(n, [&] { pingPong.roundTrip(); }));
    }
    if (selected("tasktools")) {
        BlockingThreadedTaskPool pool(optionsFor("tasktools"));
        pool.start();
        report("tasktools", latencyOf(n, [&] { pool.run([] { checkThread(); }); }));
        pool.stop();
    }
    if (selected("std")) {
        StdWorker worker;
        report("std", latencyOf(n, [&] {
                   std::promise<void> promise;
                   std::future<void> future = promise.get_future();
                   worker.post([&promise] {
                       checkThread();
                       promise.set_value();
                   });
                   future.get();
               }));
    }
    if (selected("qt-invoke")) {
        InvokeWorker worker;
        report("qt-invoke", latencyOf(n, [&] {
                   QPromise<void> promise;
                   promise.start();
                   QFuture<void> future = promise.future();
                   worker.post([promise = std::move(promise)]() mutable {
                       checkThread();
                       promise.finish();
                   });
                   future.waitForFinished();
               }));
    }
    if (selected("qtconcurrent")) {
        QThreadPool pool;
        pool.setMaxThreadCount(1);
        pool.setExpiryTimeout(-1);
        report(
            "qtconcurrent", latencyOf(n, [&] {
                withoutStealing(QtConcurrent::run(&pool, [] { checkThread(); })).waitForFinished();
            }));
    }
}

// --- timeouts ----------------------------------------------------------------------------------

// Stands in for a task record in the deadline structures: about a record's size, each its own
// allocation, so that canceling in random order misses the cache as it does in the pool.
struct FakeTask
{
    int heapIndex = -1;
    char payload[92] = {};
};

constexpr qint64 TenSecondsNs = 10'000'000'000;

std::vector<std::size_t> randomOrder(qint64 n)
{
    std::vector<std::size_t> order(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::mt19937_64 random(12345);
    std::shuffle(order.begin(), order.end(), random);
    return order;
}

std::vector<std::unique_ptr<FakeTask>> fakeTasks(qint64 n)
{
    std::vector<std::unique_ptr<FakeTask>> tasks;
    tasks.reserve(static_cast<std::size_t>(n));
    for (qint64 i = 0; i < n; ++i)
        tasks.push_back(std::make_unique<FakeTask>());
    // Shuffled in memory too, as records of a long-running pool are.
    std::mt19937_64 random(99);
    std::shuffle(tasks.begin(), tasks.end(), random);
    return tasks;
}

struct TimeoutCost
{
    double armNs = 0;
    double cancelNs = 0;
    double bytesPerEntry = 0;
};

// The engine's own structure (Detail::DeadlineQueue; Detail::DeadlineHeap before it): arm in
// start order (a pool's timeout is fixed, so deadlines arrive in increasing order), cancel in
// random order.
template<typename Deadlines>
TimeoutCost timeoutsOf(qint64 n)
{
    auto tasks = fakeTasks(n);
    const std::vector<std::size_t> order = randomOrder(n);
    const qint64 base = 1'000'000'000;
    TimeoutCost cost;
    Deadlines heap;
    const qint64 before = heapInUse();
    Clock::time_point start = Clock::now();
    for (qint64 i = 0; i < n; ++i)
        heap.push(tasks[std::size_t(i)].get(), base + TenSecondsNs + i * 100);
    cost.armNs = secondsSince(start) * 1e9 / double(n);
    cost.bytesPerEntry = double(heapInUse() - before) / double(n);
    start = Clock::now();
    for (std::size_t index : order)
        heap.remove(tasks[index].get());
    cost.cancelNs = secondsSince(start) * 1e9 / double(n);
    if (!heap.isEmpty())
        fail("deadline heap not empty after canceling everything");
    return cost;
}

// `std`: one timer thread's ordered multimap of deadlines, erased through stored iterators.
TimeoutCost timeoutsMultimap(qint64 n)
{
    auto tasks = fakeTasks(n);
    const std::vector<std::size_t> order = randomOrder(n);
    using Map = std::multimap<qint64, FakeTask *>;
    std::vector<Map::iterator> handles(static_cast<std::size_t>(n));
    Map map;
    TimeoutCost cost;
    const qint64 before = heapInUse();
    Clock::time_point start = Clock::now();
    for (qint64 i = 0; i < n; ++i)
        handles[std::size_t(i)] =
            map.emplace_hint(map.end(), TenSecondsNs + i * 100, tasks[std::size_t(i)].get());
    cost.armNs = secondsSince(start) * 1e9 / double(n);
    cost.bytesPerEntry = double(heapInUse() - before) / double(n);
    start = Clock::now();
    for (std::size_t index : order)
        map.erase(handles[index]);
    cost.cancelNs = secondsSince(start) * 1e9 / double(n);
    return cost;
}

// `qt-invoke`: a QTimer per task, deleted to cancel.
TimeoutCost timeoutsQTimer(qint64 n)
{
    const std::vector<std::size_t> order = randomOrder(n);
    std::vector<QTimer *> timers(static_cast<std::size_t>(n));
    TimeoutCost cost;
    const qint64 before = heapInUse();
    Clock::time_point start = Clock::now();
    for (qint64 i = 0; i < n; ++i) {
        auto *timer = new QTimer;
        timer->setSingleShot(true);
        timer->start(10s);
        timers[std::size_t(i)] = timer;
    }
    cost.armNs = secondsSince(start) * 1e9 / double(n);
    cost.bytesPerEntry = double(heapInUse() - before) / double(n);
    start = Clock::now();
    for (std::size_t index : order)
        delete timers[index];
    cost.cancelNs = secondsSince(start) * 1e9 / double(n);
    return cost;
}

// End to end: n asynchronous tasks in flight on a pool with a 10 s timeout (each arms an
// entry as it starts), then their inner futures finish in random order (each disarms it).
// Whole-task costs: submission, start, watch, completion, outer future.
TimeoutCost timeoutsEndToEnd(qint64 n)
{
    PoolOptions options = optionsFor("tasktools-e2e");
    options.timeout = 10s;
    BlockingThreadedTaskPool pool(options);
    pool.start();
    std::vector<QPromise<int>> inner(static_cast<std::size_t>(n));
    std::vector<QFuture<int>> outer;
    outer.reserve(static_cast<std::size_t>(n));
    const std::vector<std::size_t> order = randomOrder(n);
    for (QPromise<int> &promise : inner)
        promise.start();

    TimeoutCost cost;
    const qint64 before = heapInUse();
    Clock::time_point start = Clock::now();
    for (qint64 i = 0; i < n; ++i)
        outer.push_back(pool.createTask([f = inner[std::size_t(i)].future()] { return f; }));
    while (pool.status()->running() < n)
        std::this_thread::yield();
    cost.armNs = secondsSince(start) * 1e9 / double(n);
    cost.bytesPerEntry = double(heapInUse() - before) / double(n);
    start = Clock::now();
    for (std::size_t index : order) {
        inner[index].addResult(int(index));
        inner[index].finish();
    }
    for (std::size_t i = 0; i < outer.size(); ++i) {
        if (outer[i].result() != int(i))
            fail("tasktools-e2e: wrong result");
    }
    cost.cancelNs = secondsSince(start) * 1e9 / double(n);
    pool.stop();
    return cost;
}

void runTimeouts()
{
    const std::vector<qint64> sizes = g_args.n > 0
        ? std::vector<qint64> {g_args.n}
        : std::vector<qint64> {10'000, 100'000, 1'000'000};
    auto report = [](const std::string &impl, qint64 n, TimeoutCost c, const char *bytesKey) {
        Row("timeouts", impl, n)
            .value("arm_ns", c.armNs)
            .value("cancel_ns", c.cancelNs)
            .value(bytesKey, c.bytesPerEntry)
            .print();
    };
    for (qint64 n : sizes) {
        if (selected("tasktools")) {
            timeoutsOf<Detail::DeadlineQueue<FakeTask>>(std::min<qint64>(n, 10'000));
            report("tasktools", n, timeoutsOf<Detail::DeadlineQueue<FakeTask>>(n),
                   "bytes_per_entry");
        }
        if (selected("tasktools-heap")) { // the binary heap the engine used before
            timeoutsOf<Detail::DeadlineHeap<FakeTask>>(std::min<qint64>(n, 10'000));
            report("tasktools-heap", n, timeoutsOf<Detail::DeadlineHeap<FakeTask>>(n),
                   "bytes_per_entry");
        }
        if (selected("std"))
            report("std", n, timeoutsMultimap(n), "bytes_per_entry");
        // Qt 6.4 searches its timer list linearly on each stop: quadratic, so not at 1M.
        if (selected("qt-invoke") && n <= 100'000)
            report("qt-invoke", n, timeoutsQTimer(n), "bytes_per_entry");
        if (selected("tasktools-e2e") && n <= 100'000)
            report("tasktools-e2e", n, timeoutsEndToEnd(n), "bytes_per_task");
    }
}

// --- memory ------------------------------------------------------------------------------------

// Bytes per buffered task: the worker is kept busy by a first task that waits for a gate,
// n tasks (each with its future, kept by the caller) pile up behind it; then the gate opens
// and every result is checked.
template<typename Submit, typename Open>
double bytesPerBufferedTask(qint64 n, Submit submit, Open open)
{
    const qint64 before = heapInUse();
    std::vector<decltype(submit(0))> futures;
    futures.reserve(static_cast<std::size_t>(n));
    for (qint64 i = 0; i < n; ++i)
        futures.push_back(submit(int(i)));
    const double bytes = double(heapInUse() - before) / double(n);
    open();
    for (qint64 i = 0; i < n; ++i) {
        if (resultOf(futures[std::size_t(i)]) != int(i))
            fail("memory: wrong result");
    }
    return bytes;
}

void runMemory()
{
    const qint64 n = nOr(1'000'000);
    t_isCaller = true;
    auto report = [n](const std::string &impl, double bytes) {
        checkNothingRanOnCaller(impl);
        Row("memory", impl, n).value("bytes_per_task", bytes).print();
    };
    if (selected("tasktools")) {
        // A buffered task has no deadline entry yet; it gets one when it starts. Counted
        // anyway, at the heap's cost per entry for n entries.
        const double entryBytes = timeoutsOf<Detail::DeadlineQueue<FakeTask>>(n).bytesPerEntry;
        PoolOptions options = optionsFor("tasktools");
        options.size = 1;
        options.timeout = 10s;
        BlockingThreadedTaskPool pool(options);
        pool.start();
        QPromise<void> gate;
        gate.start();
        QFuture<void> first = pool.createTask([f = gate.future()] { return f; });
        while (pool.status()->running() < 1)
            std::this_thread::yield();
        const double bytes = bytesPerBufferedTask(n, submitTo(pool), [&] { gate.finish(); });
        report("tasktools", bytes + entryBytes);
        pool.stop();
    }
    if (selected("std")) {
        StdWorker worker;
        std::promise<void> gate;
        worker.post([f = gate.get_future().share()] { f.wait(); });
        report("std", bytesPerBufferedTask(n, submitTo(worker), [&] { gate.set_value(); }));
    }
    if (selected("qt-invoke")) {
        InvokeWorker worker;
        QSemaphore gate;
        worker.post([&gate] { gate.acquire(); });
        report("qt-invoke", bytesPerBufferedTask(n, submitTo(worker), [&] { gate.release(); }));
    }
    if (selected("qtconcurrent")) {
        QThreadPool pool;
        pool.setMaxThreadCount(1);
        pool.setExpiryTimeout(-1);
        QSemaphore gate;
        QSemaphore blocked;
        pool.start([&] {
            blocked.release();
            gate.acquire();
        });
        blocked.acquire();
        report("qtconcurrent", bytesPerBufferedTask(n, submitTo(pool), [&] { gate.release(); }));
        pool.waitForDone();
    }
    t_isCaller = false;
}

// --- status ------------------------------------------------------------------------------------

// Throughput with the main thread spinning its event loop, with or without a receiver connected
// to every NOTIFY signal of the pool's PoolStatus (which lives in the main thread).
double statusThroughput(qint64 n, bool observed, qint64 *notificationsOut = nullptr)
{
    BlockingThreadedTaskPool pool(optionsFor("tasktools"));
    pool.start();
    QObject receiver;
    qint64 notifications = 0;
    if (observed) {
        PoolStatus *s = pool.status();
        auto count = [&notifications] {
            ++notifications;
        };
        QObject::connect(s, &PoolStatus::activeChanged, &receiver, count);
        QObject::connect(s, &PoolStatus::pendingChanged, &receiver, count);
        QObject::connect(s, &PoolStatus::runningChanged, &receiver, count);
        QObject::connect(s, &PoolStatus::submittedChanged, &receiver, count);
        QObject::connect(s, &PoolStatus::completedChanged, &receiver, count);
        QObject::connect(s, &PoolStatus::failedChanged, &receiver, count);
        QObject::connect(s, &PoolStatus::timedOutChanged, &receiver, count);
        QObject::connect(s, &PoolStatus::canceledChanged, &receiver, count);
        QObject::connect(s, &PoolStatus::rejectedChanged, &receiver, count);
    }
    QEventLoop loop;
    double seconds = 0;
    std::thread producer([&] {
        t_isCaller = true;
        const Clock::time_point start = Clock::now();
        produceAndCheck(0, n, submitTo(pool));
        seconds = secondsSince(start);
        QMetaObject::invokeMethod(&loop, &QEventLoop::quit, Qt::QueuedConnection);
    });
    loop.exec();
    producer.join();
    pool.stop();
    QCoreApplication::processEvents(); // the final status update
    if (observed && notifications == 0)
        fail("status: the observer never heard from the pool");
    if (notificationsOut)
        *notificationsOut += notifications;
    return double(n) / seconds;
}

void runStatus()
{
    const qint64 n = nOr(1'000'000);
    if (!selected("tasktools"))
        return;
    statusThroughput(warmupN(n), false);
    statusThroughput(warmupN(n), true);
    // Alternating pairs (A B B A ...) so that drift of the machine hits both alike.
    std::vector<double> plain;
    std::vector<double> observed;
    std::vector<double> ratios;
    qint64 notifications = 0;
    const int rounds = 5;
    for (int round = 0; round < rounds; ++round) {
        double a;
        double b;
        if (round % 2 == 0) {
            a = statusThroughput(n, false);
            b = statusThroughput(n, true, &notifications);
        } else {
            b = statusThroughput(n, true, &notifications);
            a = statusThroughput(n, false);
        }
        plain.push_back(a);
        observed.push_back(b);
        ratios.push_back(b / a);
    }
    checkNothingRanOnCaller("tasktools");
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    Row("status", "tasktools", n).value("tasks_per_s", median(plain)).print();
    Row("status", "tasktools-observed", n)
        .value("tasks_per_s", median(observed))
        .value("ratio", median(ratios))
        .value("notifications_per_run", double(notifications) / rounds)
        .print();
}

// --- batch -------------------------------------------------------------------------------------

void checkBatch(const QList<int> &results, qint64 n, const std::string &impl)
{
    if (results.size() != n)
        fail(impl + ": " + std::to_string(results.size()) + " results, expected "
             + std::to_string(n));
    for (qint64 i = 0; i < n; ++i) {
        if (results[i] != int(i))
            fail(impl + ": wrong result at " + std::to_string(i));
    }
}

double batchTaskTools(qint64 n)
{
    BlockingThreadedTaskPool pool(optionsFor("tasktools-batch"));
    pool.start();
    double seconds = 0;
    timedProducers(1, n, [&](qint64, qint64) {
        const Clock::time_point start = Clock::now();
        QFuture<int> future = pool.createTasks(std::views::iota(0, int(n)), [](int i) {
            checkThread();
            return i;
        });
        checkBatch(future.results(), n, "tasktools-batch");
        seconds = secondsSince(start);
    });
    pool.stop();
    return double(n) / seconds;
}

double batchStd(qint64 n)
{
    StdWorker worker;
    double seconds = 0;
    timedProducers(1, n, [&](qint64, qint64) {
        const Clock::time_point start = Clock::now();
        auto promise = std::make_shared<std::promise<QList<int>>>();
        std::future<QList<int>> future = promise->get_future();
        worker.post([promise, n] {
            QList<int> results;
            results.reserve(n);
            for (int i = 0; i < int(n); ++i) {
                checkThread();
                results.append(i);
            }
            promise->set_value(std::move(results));
        });
        checkBatch(future.get(), n, "std");
        seconds = secondsSince(start);
    });
    return double(n) / seconds;
}

double batchInvoke(qint64 n)
{
    InvokeWorker worker;
    double seconds = 0;
    timedProducers(1, n, [&](qint64, qint64) {
        const Clock::time_point start = Clock::now();
        QPromise<QList<int>> promise;
        promise.start();
        QFuture<QList<int>> future = promise.future();
        worker.post([promise = std::move(promise), n]() mutable {
            QList<int> results;
            results.reserve(n);
            for (int i = 0; i < int(n); ++i) {
                checkThread();
                results.append(i);
            }
            promise.addResult(std::move(results));
            promise.finish();
        });
        checkBatch(future.result(), n, "qt-invoke");
        seconds = secondsSince(start);
    });
    return double(n) / seconds;
}

// `qtconcurrent`: QtConcurrent::mapped over a sequence, on a one-thread pool.
double batchConcurrent(qint64 n)
{
    QThreadPool pool;
    pool.setMaxThreadCount(1);
    pool.setExpiryTimeout(-1);
    std::vector<int> input(static_cast<std::size_t>(n));
    std::iota(input.begin(), input.end(), 0);
    double seconds = 0;
    timedProducers(1, n, [&](qint64, qint64) {
        const Clock::time_point start = Clock::now();
        QFuture<int> future = withoutStealing(QtConcurrent::mapped(&pool, input, [](int i) {
            checkThread();
            return i;
        }));
        checkBatch(future.results(), n, "qtconcurrent");
        seconds = secondsSince(start);
    });
    pool.waitForDone();
    return double(n) / seconds;
}

void runBatch()
{
    const qint64 n = nOr(4'000'000);
    struct Impl
    {
        const char *name;
        double (*run)(qint64);
    };
    const Impl impls[] = {{"tasktools-batch", batchTaskTools},
                          {"std", batchStd},
                          {"qt-invoke", batchInvoke},
                          {"qtconcurrent", batchConcurrent}};
    for (const Impl &impl : impls) {
        if (!selected(impl.name))
            continue;
        impl.run(warmupN(n));
        const double rate = impl.run(n);
        checkNothingRanOnCaller(impl.name);
        Row("batch", impl.name, n).value("tasks_per_s", rate).print();
    }
}

// --- report ------------------------------------------------------------------------------------

// Reads JSON lines (several rounds), takes the median of each value per (scenario, impl, n),
// prints one markdown table per scenario, then the targets of issue 5 with what was measured.
class Report
{
public:
    bool read(const std::string &path)
    {
        QFile file(QString::fromStdString(path));
        if (!file.open(QIODevice::ReadOnly))
            return false;
        while (!file.atEnd()) {
            const QByteArray line = file.readLine().trimmed();
            if (!line.startsWith('{'))
                continue;
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            const Key key {o.value(QLatin1String("scenario")).toString(),
                           o.value(QLatin1String("impl")).toString(),
                           qint64(o.value(QLatin1String("n")).toDouble())};
            if (!m_order.contains(key))
                m_order.append(key);
            for (auto it = o.begin(); it != o.end(); ++it) {
                if (it.value().isDouble() && it.key() != QLatin1String("n"))
                    m_values[key][it.key()].append(it.value().toDouble());
            }
        }
        return true;
    }

    void print()
    {
        const std::pair<const char *, QStringList> tables[] = {
            {"throughput", {QStringLiteral("tasks_per_s")}},
            {"contention", {QStringLiteral("tasks_per_s")}},
            {"latency", {QStringLiteral("median_us"), QStringLiteral("p99_us")}},
            {"timeouts",
             {QStringLiteral("arm_ns"), QStringLiteral("cancel_ns"),
              QStringLiteral("bytes_per_entry"), QStringLiteral("bytes_per_task")}},
            {"memory", {QStringLiteral("bytes_per_task")}},
            {"status", {QStringLiteral("tasks_per_s"), QStringLiteral("ratio")}},
            {"batch", {QStringLiteral("tasks_per_s")}},
        };
        for (const auto &[scenario, columns] : tables) {
            bool header = false;
            for (const Key &key : std::as_const(m_order)) {
                if (key.scenario != QLatin1String(scenario))
                    continue;
                if (!header) {
                    std::printf("\n| %s | impl | n |", scenario);
                    for (const QString &c : columns)
                        std::printf(" %s |", qPrintable(c));
                    std::printf("\n| --- | --- | --- |");
                    for (qsizetype i = 0; i < columns.size(); ++i)
                        std::printf(" --- |");
                    std::printf("\n");
                    header = true;
                }
                std::printf("| | %s | %s |", qPrintable(key.impl), qPrintable(count(key.n)));
                for (const QString &c : columns)
                    std::printf(" %s |", qPrintable(cell(key, c)));
                std::printf("\n");
            }
        }
        printTargets();
    }

private:
    struct Key
    {
        QString scenario;
        QString impl;
        qint64 n;
        bool operator==(const Key &) const = default;
        bool operator<(const Key &o) const
        {
            return std::tie(scenario, impl, n) < std::tie(o.scenario, o.impl, o.n);
        }
    };

    static QString count(qint64 n)
    {
        if (n >= 1'000'000 && n % 1'000'000 == 0)
            return QString::number(n / 1'000'000) + QLatin1Char('M');
        if (n >= 1000 && n % 1000 == 0)
            return QString::number(n / 1000) + QLatin1Char('k');
        return QString::number(n);
    }

    // The median of the rounds; nan if there is none.
    double value(const QString &scenario, const QString &impl, const QString &column,
                 qint64 n = -1) const
    {
        for (auto it = m_values.begin(); it != m_values.end(); ++it) {
            const Key &k = it.key();
            if (k.scenario != scenario || k.impl != impl || (n >= 0 && k.n != n))
                continue;
            QList<double> v = it.value().value(column);
            if (v.isEmpty())
                continue;
            std::sort(v.begin(), v.end());
            return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
        }
        return std::nan("");
    }

    // The rounds' values of one cell, sorted.
    QList<double> rounds(const Key &key, const QString &column) const
    {
        QList<double> v = m_values.value(key).value(column);
        std::sort(v.begin(), v.end());
        return v;
    }

    QString cell(const Key &key, const QString &column) const
    {
        const double v = value(key.scenario, key.impl, column, key.n);
        if (std::isnan(v))
            return QStringLiteral("—");
        if (column == QLatin1String("tasks_per_s")) {
            QString text = QString::number(v / 1e6, 'f', 2) + QStringLiteral(" M/s");
            // The spread of the rounds: single runs of the same binary on a VM vary widely (the
            // host decides how much of its two vCPUs the process gets), and a median alone
            // hides by how much.
            if (const QList<double> r = rounds(key, column); r.size() > 1)
                text += QStringLiteral(" (%1–%2)")
                            .arg(QString::number(r.front() / 1e6, 'f', 2),
                                 QString::number(r.back() / 1e6, 'f', 2));
            return text;
        }
        if (column == QLatin1String("ratio"))
            return QString::number(v, 'f', 3) + QLatin1Char('x');
        return QString::number(v, 'f', v < 10 ? 2 : (v < 100 ? 1 : 0));
    }

    void target(const char *what, double measured, double goal, bool atLeast, const char *unit)
    {
        const QString m = std::isnan(measured)
            ? QStringLiteral("—")
            : QString::number(measured, 'f', 2) + QLatin1String(unit);
        const char *met = std::isnan(measured)                ? "?"
            : (atLeast ? measured >= goal : measured <= goal) ? "yes"
                                                              : "no";
        std::printf("| %s | %s %s%s | %s | %s |\n", what,
                    atLeast ? ">=" : "<=", qPrintable(QString::number(goal)), unit, qPrintable(m),
                    met);
    }

    void printTargets()
    {
        const QString tp = QStringLiteral("tasks_per_s");
        const QString t = QStringLiteral("throughput");
        const QString tt = QStringLiteral("tasktools");
        auto ratio = [&](const QString &scenario, const QString &a, const QString &b,
                         const QString &column) {
            return value(scenario, a, column) / value(scenario, b, column);
        };
        std::printf("\n| target | goal | measured | met |\n| --- | --- | --- | --- |\n");
        target("throughput vs std", ratio(t, tt, QStringLiteral("std"), tp), 1.5, true, "x");
        target("throughput vs qtconcurrent", ratio(t, tt, QStringLiteral("qtconcurrent"), tp), 1.7,
               true, "x");
        target("throughput vs qt-invoke", ratio(t, tt, QStringLiteral("qt-invoke"), tp), 2.5, true,
               "x");
        target("throughput size=64 + timeout=1s vs plain",
               ratio(t, QStringLiteral("tasktools-size64-timeout1s"), tt, tp), 0.9, true, "x");
        target("contention (8 producers) vs 1 producer",
               value(QStringLiteral("contention"), tt, tp) / value(t, tt, tp), 1.0, true, "x");
        const QString l = QStringLiteral("latency");
        target("latency median vs condvar",
               ratio(l, tt, QStringLiteral("condvar"), QStringLiteral("median_us")), 1.10, false,
               "x");
        target("latency p99 vs condvar",
               ratio(l, tt, QStringLiteral("condvar"), QStringLiteral("p99_us")), 1.25, false, "x");
        const QString to = QStringLiteral("timeouts");
        target("timeout arm at 1M", value(to, tt, QStringLiteral("arm_ns"), 1'000'000), 100, false,
               " ns");
        target("timeout cancel at 1M (random order)",
               value(to, tt, QStringLiteral("cancel_ns"), 1'000'000), 100, false, " ns");
        target("timeout bytes per entry at 1M",
               value(to, tt, QStringLiteral("bytes_per_entry"), 1'000'000), 64, false, " B");
        target("memory per buffered task",
               value(QStringLiteral("memory"), tt, QStringLiteral("bytes_per_task")), 600, false,
               " B");
        target("status observer attached vs not",
               value(QStringLiteral("status"), QStringLiteral("tasktools-observed"),
                     QStringLiteral("ratio")),
               0.98, true, "x");
        target("batch", value(QStringLiteral("batch"), QStringLiteral("tasktools-batch"), tp) / 1e6,
               10, true, " M/s");
    }

    QList<Key> m_order;
    QMap<Key, QMap<QString, QList<double>>> m_values;
};

int usage()
{
    std::fprintf(stderr,
                 "usage: tasktools_bench MODE [--n N] [--impl NAME]\n"
                 "       tasktools_bench report FILE...\n"
                 "modes: throughput contention latency timeouts memory status batch all\n"
                 "impls: tasktools, tasktools-<variant>, std, qt-invoke, qtconcurrent, condvar, "
                 "qfuture-ideal (a reference), tasktools-nice-10 (diagnostic, needs root); "
                 "'tasktools*' selects every TaskTools row\n");
    return 2;
}

void runMode(const std::string &mode)
{
    const std::vector<std::string> all = {"tasktools", "std", "qt-invoke", "qtconcurrent"};
    if (mode == "throughput") {
        runThroughputMode("throughput", 1,
                          {"tasktools", "tasktools-size64", "tasktools-timeout1s",
                           "tasktools-size64-timeout1s", "std", "qt-invoke", "qtconcurrent",
                           "qfuture-ideal"});
    } else if (mode == "contention") {
        runThroughputMode("contention", 8,
                          {"tasktools", "std", "qt-invoke", "qtconcurrent", "qfuture-ideal",
                           "tasktools-nice-10"});
    } else if (mode == "latency") {
        runLatency();
    } else if (mode == "timeouts") {
        runTimeouts();
    } else if (mode == "memory") {
        runMemory();
    } else if (mode == "status") {
        runStatus();
    } else if (mode == "batch") {
        runBatch();
    } else {
        std::exit(usage());
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2)
        return usage();
    g_args.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--n" && i + 1 < argc)
            g_args.n = std::stoll(argv[++i]);
        else if (arg == "--impl" && i + 1 < argc)
            g_args.impl = argv[++i];
        else if (g_args.mode == "report")
            g_args.files.push_back(arg);
        else
            return usage();
    }
    if (g_args.mode == "report") {
        Report report;
        for (const std::string &file : g_args.files) {
            if (!report.read(file)) {
                std::fprintf(stderr, "tasktools_bench: cannot read %s\n", file.c_str());
                return 1;
            }
        }
        report.print();
        return 0;
    }
    if (g_args.mode == "all") {
        for (const char *mode :
             {"throughput", "contention", "latency", "timeouts", "memory", "status", "batch"})
            runMode(mode);
    } else {
        runMode(g_args.mode);
    }
    return 0;
}
