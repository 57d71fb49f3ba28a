// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
//
// libFuzzer harness for the threaded pools (issue 6). Each input is a small program of pool
// operations: create a pool (either front-end, with a size, a timeout, maxPending and maybe a
// context that fails on a given start or stop), start, stop, stop(grace), destroy, submit tasks
// of several kinds, cancel their futures, open the gates of asynchronous tasks, read the status.
// After the last operation every pool is stopped and destroyed and the harness checks what the
// contract promises:
//   - every outer future has finished, with an outcome its kind allows (its result, its own
//     exception, TimeoutError only on a pool with a timeout, canceled only when its caller or a
//     stop(grace) may have canceled it);
//   - every call threw exactly what the lifecycle state implies (NotRunningError,
//     AlreadyRunningError, PoolFullError only with maxPending, a context's exception);
//   - each stopped pool's status balances: submitted == what was accepted == completed + failed
//     + timedOut + canceled, pending == running == 0, rejected == the PoolFullErrors seen, and
//     each counter agrees with the outcomes of the futures;
//   - every context that was entered was exited, and no pool thread is left.
// A violation prints what failed and the operations so far, then aborts (a libFuzzer crash).
//
// The language, one byte per operation letter followed by argument bytes (taken modulo their
// range, so digits work in hand-written inputs; any other byte also maps to an operation):
//   P slot frontend size timeout maxPending context   create a pool in slot (0/1); frontend:
//            bit 0 async, bit 1 with receivers of the per-task signals; context: 2..7 a context
//            (void enter and exit), whose enter fails on the 1st/2nd start for 4/5, whose exit
//            fails on the 1st/2nd stop for 6/7; the bytes 'A'..'P' instead two contexts whose
//            futures finish on the pool thread's event loop (the inner one may fail); the bytes
//            'Q'..'X' the same pair, whose inner enter or exit future ends canceled instead of
//            failing (start() or stop() then reports the pool's CanceledError)
//   S slot   start              X slot   stop()           G slot grace   stop(grace)
//   D slot   destroy            a slot work   sync task    t slot        throwing task
//   g slot   gated async task   m slot ms     timer async  f slot ms     failing async
//   b slot n throwAt   batch    n slot child  nested task  c index       cancel a future
//   o slot   open the gates     r slot work   run()        q slot        read the status
//   k slot   a task stops its own pool (async: fine; blocking: DeadlockError)
//   K slot   a task destroys its own pool          w        process events
//   R slot mode   another thread submits a task (blocking: run(), async: createTask()) while
//            this one stops the pool; mode: stop(), stop(0), stop(1 ms), stop(5 ms). Only the
//            byte 'R' itself means it (any other byte maps as before it existed).
//   B index op arg   a BackgroundTask<int> or PeriodicTask in slot index (0/1), on this thread or
//            on a pool's thread: create one (the function's kind, the interval), start(),
//            cancel(), cancel the run's future as its caller, delete it or its parent, wait for
//            its run; see Harness::backgroundOp(). Only the byte 'B' itself means it. Each run
//            is checked as it ends: exactly one of finished()/failed()/canceled() after
//            runningChanged(false) and after its future finished, never from within start()
//            (except a restart's canceled()), agreeing with the future and allowed by the
//            function and the operations; no signal on destruction, whose run's future ends
//            canceled; isRunning() as the model says, a periodic task's calls never overlap and
//            only while it runs. At the end every run ended and every future finished.
//   V index op arg   more of the same (see Harness::reactionOp()): a BackgroundTask<void> or a
//            PeriodicTask with a synchronous function; slots that start(), cancel(), delete or
//            deleteLater() the task from within its own signals (once each); a function that
//            cancels its own run; disconnecting the receiver of failed(), whereupon each failed
//            run must log the warning of tasktools.background instead (the message handler
//            takes it as that run's outcome; any other warning is a finding). Slots and the
//            function act from within start() and cancel(): each call is checked against what
//            it may emit, nested ones apart. Only the byte 'V' itself means it.
// FUZZ_POOL_TRACE=1 in the environment prints each input's operations as the harness read them.
// Every input ends quickly: tasks sleep at most 3 ms, timers fire within 8 ms, gates are opened
// before anything waits for them, and operations and tasks are capped.

#include <tasktools/tasktools.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QMutex>
#include <QtCore/QPromise>
#include <QtCore/QRegularExpression>
#include <QtCore/QSemaphore>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace TaskTools;
using namespace std::chrono_literals;

namespace {

constexpr int MaxOps = 64;
constexpr int MaxTasks = 64; // submissions per input, nested ones included
constexpr int MaxPoolsPerInput = 4;
constexpr int Slots = 2;
const char ThreadPrefix[] = "fzp"; // pool (and so OS thread) names start with it

// The operations trace of the current input, printed when an invariant fails.
std::string g_trace;

[[noreturn]] void fail(const char *format, ...)
{
    std::fprintf(stderr, "\n*** fuzz_pool: invariant violated: ");
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::fprintf(stderr, "\n*** operations: %s\n", g_trace.c_str());
    std::fflush(stderr);
    std::abort();
}

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail(__VA_ARGS__);                                                                     \
    } while (false)

void trace(const char *format, ...)
{
    char buffer[128];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    g_trace += buffer;
    g_trace += ' ';
}

// The exception the harness's tasks and contexts throw; `id` tells which one threw.
struct FuzzError : std::exception
{
    explicit FuzzError(int i) : id(i) { }
    const char *what() const noexcept override { return "fuzz error"; }
    int id;
};

// Byte reader: in order from the front; 0 once the input is exhausted.
class Reader
{
public:
    Reader(const uint8_t *data, size_t size) : m_data(data), m_size(size) { }
    bool atEnd() const { return m_pos >= m_size; }
    uint8_t byte() { return m_pos < m_size ? m_data[m_pos++] : 0; }
    int below(int n) { return byte() % n; }

private:
    const uint8_t *m_data;
    size_t m_size;
    size_t m_pos = 0;
};

// Inner futures of gated tasks: they finish when the harness opens them (or the pool cancels
// them). While `autoOpen` is set (before anything waits for the pool) new gates open at once.
class GateSet
{
public:
    QFuture<int> create(int value)
    {
        auto promise = std::make_shared<QPromise<int>>();
        promise->start();
        QFuture<int> future = promise->future();
        {
            QMutexLocker locker(&m_mutex);
            m_gates.push_back({promise, value});
        }
        if (m_autoOpen.load())
            openAll();
        return future;
    }
    void openAll()
    {
        std::vector<Gate> toOpen;
        {
            QMutexLocker locker(&m_mutex);
            for (; m_opened < m_gates.size(); ++m_opened)
                toOpen.push_back(m_gates[m_opened]);
        }
        // Outside the lock: finishing runs the pool's continuation. Each gate exactly once.
        for (Gate &gate : toOpen) {
            gate.promise->addResult(gate.value);
            gate.promise->finish();
        }
    }
    void setAutoOpen(bool on)
    {
        m_autoOpen.store(on);
        if (on)
            openAll();
    }

private:
    struct Gate
    {
        std::shared_ptr<QPromise<int>> promise;
        int value;
    };
    QMutex m_mutex;
    std::vector<Gate> m_gates;
    std::size_t m_opened = 0;
    std::atomic<bool> m_autoOpen {false};
};

// A context whose enter fails on the failEnterAt-th start and whose exit fails on the
// failExitAt-th stop (0 = never). Counts run on the pool thread.
// Asynchronous variant (`async`): its enter and exit return a QFuture<void> finished (or failed)
// `delayMs` later from a timer on the pool thread, and it is the inner one of two contexts: an
// outer one that never fails (asynchronous too if `outerAsync`) is added before it. `depth`
// tracks what is entered (0: nothing, 1: the outer one, 2: both), so every call checks the order.
struct ContextState
{
    int failEnterAt = 0;
    int failExitAt = 0;
    std::atomic<int> enterCalls {0};
    std::atomic<int> entered {0};
    std::atomic<int> exited {0};

    bool async = false;
    bool outerAsync = false;
    int delayMs = 0;
    std::atomic<int> outerEntered {0};
    std::atomic<int> outerExited {0};
    std::atomic<int> depth {0};
    // The inner context's failing future ends canceled instead of failing: start() or stop()
    // then reports the pool's CanceledError ("a context's enter/exit future was canceled").
    bool cancels = false;
};

enum class Kind {
    Sync,
    Throw,
    Gate,
    Timer,
    AsyncThrow,
    Batch,
    Nested,
    Child,
    ChildTimer,
    Run,
    RacingRun,
    SelfStop,
    SelfDestroy,
    BgOp, // an operation on a background task living on the pool thread (operation B)
    BgInner // a task that a background task's function submitted (its future is that function's)
};

const char *kindName(Kind kind)
{
    switch (kind) {
    case Kind::Sync:
        return "sync";
    case Kind::Throw:
        return "throwing";
    case Kind::Gate:
        return "gated";
    case Kind::Timer:
        return "timer";
    case Kind::AsyncThrow:
        return "failing async";
    case Kind::Batch:
        return "batch";
    case Kind::Nested:
        return "nested parent";
    case Kind::Child:
        return "nested child";
    case Kind::ChildTimer:
        return "nested timer child";
    case Kind::Run:
        return "run()";
    case Kind::RacingRun:
        return "racing submission";
    case Kind::SelfStop:
        return "self-stopping";
    case Kind::SelfDestroy:
        return "self-destroying";
    case Kind::BgOp:
        return "background-task operation";
    case Kind::BgInner:
        return "background task's";
    }
    return "?";
}

struct PoolInfo;

struct Record
{
    Kind kind;
    PoolInfo *pool;
    QFuture<int> future;
    int value;
    int count = 0; // batch: elements
    int throwAt = -1; // batch: element that throws
    int graceAtSubmit = 0; // the pool's stop(grace) count when submitted
    // Nested children: the pool's failed starts when their parent was submitted. A child that
    // its parent submits while the run drains after a new start() belongs to that next run; if
    // that run's start fails, the child is dropped with it.
    int failedStartsAtSubmit = 0;
    bool callerCanceled = false;
};

// One lifecycle future of an async pool: start() or stop().
struct LifecycleRecord
{
    QFuture<void> future;
    bool expectFailure;
    const char *what;
    int errorId = 0; // the FuzzError's id when expectFailure
};

// What the per-task signals counted: completed, failed, timedOut, canceled.
struct SignalCounts
{
    std::atomic<qint64> counts[4] = {0, 0, 0, 0};
};

struct PoolInfo
{
    int serial = 0;
    bool isAsync = false;
    PoolOptions options;
    std::unique_ptr<BlockingThreadedTaskPool> blocking;
    std::unique_ptr<AsyncThreadedTaskPool> async;
    std::shared_ptr<GateSet> gates = std::make_shared<GateSet>();
    std::shared_ptr<ContextState> context; // null: no context
    std::shared_ptr<SignalCounts> signals; // null: no receivers

    // The harness's model, main thread only.
    bool running = false;
    int starts = 0; // start() calls that reached the pool thread (enter calls)
    int runs = 0; // starts that succeeded (so exits expected)
    int graceStops = 0;
    int failedStarts = 0;
    bool destroyed = false;
    bool destroyedFromOwnThread = false; // its run ends on its own, after the destructor
    std::vector<LifecycleRecord> lifecycle;

    // Counted from any thread (nested tasks submit from the pool thread).
    std::atomic<qint64> accepted {0};
    std::atomic<qint64> rejected {0};

    QObject *object() const
    {
        return isAsync ? static_cast<QObject *>(async.get()) : blocking.get();
    }
    bool alive() const { return blocking || async; }
    bool isRunning() const { return isAsync ? async->isRunning() : blocking->isRunning(); }
    PoolStatus *status() const { return isAsync ? async->status() : blocking->status(); }

    template<typename F>
    QFuture<int> createTask(F &&f)
    {
        if (isAsync)
            return async->createTask(std::forward<F>(f));
        return blocking->createTask(std::forward<F>(f));
    }
};

// What tasks record from the pool threads.
struct SharedLog
{
    QMutex mutex;
    std::vector<Record> children;
    std::atomic<int> tasks {0}; // submissions attempted this input, for the cap
    std::atomic<int> childNotRunning {0};
};

// Background tasks (operations B and V): a BackgroundTask<int>, a BackgroundTask<void> or a
// PeriodicTask (its function asynchronous, or synchronous: returning void) whose function is of
// one of these kinds, each call returning a future for the run's value.
enum BgKind {
    BgReady, // a finished future
    BgTimer0, // finished from a 0 ms timer of the task's thread
    BgTimer3, // from a 3 ms one
    BgThrow, // the function throws FuzzError(value)
    BgFailing, // the future fails with FuzzError(value) from a 1 ms timer
    BgHang, // the future finishes only when the harness lets it go, at the end of the input
    BgProducerCancels, // its producer cancels it from a 0 ms timer
    BgPool // a 1 ms timer task submitted to a pool (a task on a pool thread has BgReady instead)
};
const char *const bgKindNames[] = {"ready",      "timer 0 ms", "timer 3 ms",       "throws",
                                   "fails 1 ms", "hangs",      "producer cancels", "pool task"};

// Lost: the run ended (runningChanged(false)) but a slot deleted the task before its outcome
// signal.
enum class BgOutcome { None, Finished, Failed, Canceled, Destroyed, Lost };

// One run of a background task: from its start() to its one outcome.
struct BgRun
{
    QFuture<int> result; // BackgroundTask<int> only
    QFuture<void> future; // start()'s future
    bool futureKnown = false; // start() returned it (a run may end before that, from a slot)
    int value = 0;
    bool cancelRequested = false; // by cancel(), a restart, or its caller canceling the future
    bool sawStopped = false; // runningChanged(false) was emitted for it
    bool callThrew = false; // a call of the function threw
    bool inStoppedSlot = false; // its runningChanged(false) is being delivered
    int startsAtStop = 0; // the task's start() calls when it stopped
    BgOutcome outcome = BgOutcome::None;
    QString message; // failed()'s, or the warning's
    bool warned = false; // the failure was logged, no receiver being connected to failed()
};

// A start(), a cancel() or a deletion in progress, by the harness or by a slot or the function
// acting on the task (operation V): the signals that each may emit while it is the innermost.
struct BgFrame
{
    enum Kind { Start, Cancel } kind;
    int run = -1; // Start: the new run
    int previous = -1; // Start: the run current when start() was called (a restart cancels it)
    bool begun = false; // Start: the new run became current (runningChanged(true) or the
                        // restart's canceled())
    int calls = 0; // Start: calls of the function
    int signals = 0; // signals emitted while this frame was the innermost
    int startsBefore = 0; // the task's start() calls before it
};

// What a slot does when its signal comes (operation V): once, then it is disarmed.
enum BgSignal { SigFinished, SigFailed, SigCanceled, SigStarted, SigStopped, SigCount };
const char *const bgSignalNames[] = {"finished", "failed", "canceled", "runningChanged(true)",
                                     "runningChanged(false)"};
enum BgAction { ActNone = -1, ActStart, ActCancel, ActDelete, ActDeleteLater, ActCount };
const char *const bgActionNames[] = {"start", "cancel", "delete", "deleteLater"};

// A background task living on the main thread or on a pool's thread (`home`), and the harness's
// model of it. While the task lives the model is touched on its home thread only (the harness
// runs the operations on a pool-homed task as tasks of that pool and waits for them; the slots
// and the function run there too); after `gone`, by the main thread.
struct BgInfo
{
    int serial = 0;
    bool periodic = false;
    bool voidForm = false; // BackgroundTask<void>, or a PeriodicTask with a synchronous function
    int kind = BgReady;
    int intervalMs = 0;
    PoolInfo *home = nullptr; // null: the main thread
    int homeRun = 0; // the home pool's run it lives in (it is deleted as that run's thread ends)
    PoolInfo *target = nullptr; // BgPool: the pool its function submits to
    QObject *parent = nullptr;
    BackgroundTaskBase *task = nullptr;
    BackgroundTask<int> *background = nullptr;
    BackgroundTask<void> *backgroundVoid = nullptr;
    PeriodicTask *periodicTask = nullptr;

    std::vector<BgRun> runs;
    int current = -1; // the current run's index in `runs`, -1 when none
    std::vector<int> stopped; // runs after runningChanged(false), before their outcome signal
    std::vector<BgFrame> frames; // start(), cancel() calls in progress, innermost last
    int startCount = 0; // start() calls
    bool destroying = false; // its (or its parent's) destructor runs
    int signalCount = 0;
    bool listening = true; // the harness's receiver is connected to failed()
    QMetaObject::Connection failedConnection;
    struct Reaction
    {
        int action = ActNone;
        int value = 0; // for ActStart
    } reactions[SigCount];
    bool cancelInCall = false; // the function's next call cancels the run first
    struct Inner
    {
        QFuture<void> future;
        int run;
        bool orphan = false; // returned after the function canceled its run: canceled at once
    };
    std::vector<Inner> inners; // what the function returned, in order
    std::vector<std::shared_ptr<QPromise<int>>> hangs; // BgHang's promises
    std::atomic<bool> gone {false};
};

// The tasks the harness creates: they tell the model as their destruction begins, however it
// comes (delete, deleteLater(), the parent), before the library's destructors run.
template<typename T>
class FuzzBackground : public BackgroundTask<T>
{
public:
    FuzzBackground(BgInfo *b, typename BackgroundTask<T>::Function function, QObject *parent)
        : BackgroundTask<T>(std::move(function), parent), m_b(b)
    { }
    ~FuzzBackground() override { m_b->destroying = true; }

private:
    BgInfo *m_b;
};

class FuzzPeriodic : public PeriodicTask
{
public:
    template<typename F>
    FuzzPeriodic(BgInfo *b, std::chrono::milliseconds interval, F &&function, QObject *parent)
        : PeriodicTask(interval, std::forward<F>(function), parent), m_b(b)
    { }
    ~FuzzPeriodic() override { m_b->destroying = true; }

private:
    BgInfo *m_b;
};

class Harness
{
public:
    explicit Harness(Reader &reader) : m_in(reader) { }
    void run();

private:
    PoolInfo *slot(int index) { return m_slots[index]; }
    bool takeTaskSlot() { return m_log->tasks.fetch_add(1) < MaxTasks; }

    void createPool();
    void start(PoolInfo *p);
    void stop(PoolInfo *p, std::optional<std::chrono::milliseconds> grace);
    void destroy(PoolInfo *p);
    template<typename F>
    void submit(PoolInfo *p, Kind kind, F &&task, int value, int count = 0, int throwAt = -1);
    void submitBatch(PoolInfo *p, int n, int throwAt);
    void blockingRun(PoolInfo *p, int work);
    void racingSubmitAndStop(PoolInfo *p, int mode);
    void backgroundOp();
    void bgCreateOp(int index, int op, int arg, bool voidForm);
    void bgCreate(int index, bool periodic, bool voidForm, int kind, int intervalMs, PoolInfo *home,
                  PoolInfo *target);
    void reactionOp();
    template<typename F>
    void onHome(BgInfo *b, F &&op);
    bool runOnPool(PoolInfo *p, std::function<void()> op);
    QFuture<int> bgCall(BgInfo *b);
    QFuture<int> bgSubmit(BgInfo *b, int value);
    void bgWait(BgInfo *b);
    void bgFinish();
    void bgCheck();
    void readStatus(PoolInfo *p);
    void selfStop(PoolInfo *p);
    void selfDestroy(PoolInfo *p);
    void forgetSlot(PoolInfo *p);
    void finish();
    void checkStopped(PoolInfo *p);
    void checkContextsExited(PoolInfo *p);
    void checkOutcome(const Record &r, int *outcome);

    Reader &m_in;
    PoolInfo *m_slots[Slots] = {};
    std::vector<std::unique_ptr<PoolInfo>> m_pools;
    std::vector<Record> m_records;
    std::shared_ptr<SharedLog> m_log = std::make_shared<SharedLog>();
    int m_nextValue = 1;
    BgInfo *m_bgSlots[Slots] = {};
    std::vector<std::unique_ptr<BgInfo>> m_bgs;
};

void sleepWork(int work)
{
    static constexpr int micros[] = {0, 0, 100, 3000}; // 3 ms overruns a 2 ms timeout
    if (micros[work])
        std::this_thread::sleep_for(std::chrono::microseconds(micros[work])); // the task's work
}

// An asynchronous task body finishing after `ms` on the pool thread's event loop, with `value`
// or with FuzzError(value).
auto timerTask(int ms, int value, bool throws)
{
    return [ms, value, throws] {
        auto promise = std::make_shared<QPromise<int>>();
        promise->start();
        QFuture<int> future = promise->future();
        QTimer::singleShot(ms, [promise, value, throws] {
            if (throws)
                promise->setException(std::make_exception_ptr(FuzzError(value)));
            else
                promise->addResult(value);
            promise->finish();
        });
        return future;
    };
}

// Thrown by the body of settleLater() to cancel the future instead of failing it.
struct CancelSettle
{
};

// A future that `body` finishes (or fails with what it throws, or cancels with CancelSettle)
// `ms` later, from a timer on the calling thread's event loop (the pool thread); ms < 0: before
// it is returned.
QFuture<void> settleLater(int ms, std::function<void()> body)
{
    auto promise = std::make_shared<QPromise<void>>();
    promise->start();
    QFuture<void> future = promise->future();
    auto settle = [promise, body = std::move(body)] {
        try {
            body();
        } catch (const CancelSettle &) {
            promise->future().cancel();
        } catch (...) {
            promise->setException(std::current_exception());
        }
        promise->finish();
    };
    if (ms < 0)
        settle();
    else
        QTimer::singleShot(ms, settle);
    return future;
}

// The two contexts of an asynchronous ContextState: the outer one, then the inner one that may
// fail (asynchronously: through its future). Each checks on the pool thread that it runs in
// order: the outer enter first, the inner exit before the outer one, each exactly once a run.
void addAsyncContexts(PoolInfo *p, bool readyExit)
{
    std::shared_ptr<ContextState> c = p->context;
    const int serial = p->serial;
    // The outer context: its enter and exit return void, or a future when outerAsync.
    auto outerEnterBody = [c, serial] {
        FUZZ_CHECK(c->depth.load() == 0, "pool %d: outer context entered at depth %d", serial,
                   c->depth.load());
        ++c->outerEntered;
        c->depth.store(1);
    };
    auto outerExitBody = [c, serial] {
        FUZZ_CHECK(c->depth.load() == 1, "pool %d: outer context exited at depth %d", serial,
                   c->depth.load());
        ++c->outerExited;
        c->depth.store(0);
    };
    auto add = [p](auto enter, auto exit) {
        if (p->isAsync)
            p->async->addContext(enter, exit);
        else
            p->blocking->addContext(enter, exit);
    };
    if (c->outerAsync) {
        add(
            [c, serial, outerEnterBody] {
                FUZZ_CHECK(c->depth.load() == 0, "pool %d: outer context entered at depth %d",
                           serial, c->depth.load());
                return settleLater(c->delayMs, outerEnterBody);
            },
            [c, serial, outerExitBody] {
                FUZZ_CHECK(c->depth.load() == 1, "pool %d: outer context exited at depth %d",
                           serial, c->depth.load());
                return settleLater(c->delayMs, outerExitBody);
            });
    } else {
        add(outerEnterBody, outerExitBody);
    }
    auto innerEnter = [c, serial] {
        FUZZ_CHECK(c->depth.load() == 1, "pool %d: inner context entered at depth %d", serial,
                   c->depth.load());
        const int call = ++c->enterCalls;
        return settleLater(c->delayMs, [c, serial, call] {
            FUZZ_CHECK(c->depth.load() == 1, "pool %d: inner context entered at depth %d", serial,
                       c->depth.load());
            if (call == c->failEnterAt) {
                if (c->cancels)
                    throw CancelSettle();
                throw FuzzError(-call);
            }
            ++c->entered;
            c->depth.store(2);
        });
    };
    auto innerExit = [c, serial, readyExit] {
        FUZZ_CHECK(c->depth.load() == 2, "pool %d: inner context exited at depth %d", serial,
                   c->depth.load());
        const int call = ++c->exited;
        return settleLater(readyExit ? -1 : c->delayMs, [c, serial, call] {
            FUZZ_CHECK(c->depth.load() == 2, "pool %d: inner context exited at depth %d", serial,
                       c->depth.load());
            c->depth.store(1); // exited, even when its exit fails
            if (call == c->failExitAt) {
                if (c->cancels)
                    throw CancelSettle();
                throw FuzzError(-100 - call);
            }
        });
    };
    add(innerEnter, innerExit);
}

void Harness::createPool()
{
    const int index = m_in.below(Slots);
    const int frontEnd = m_in.below(4);
    const bool isAsync = frontEnd & 1;
    const bool withSignals = frontEnd & 2; // receivers of the per-task signals
    static constexpr int sizes[] = {0, 1, 2, 3};
    static constexpr int timeouts[] = {0, 2, 5, 20};
    static constexpr int maxPendings[] = {0, 1, 2, 4};
    const int size = sizes[m_in.below(4)];
    const int timeout = timeouts[m_in.below(4)];
    const int maxPending = maxPendings[m_in.below(4)];
    // Added later: the bytes 'A'..'P' choose an asynchronous pair of contexts (ContextState).
    // With v = contextByte - 'A': their futures finish from a 3 ms timer if v >= 8, else from a
    // 0 ms one; v % 8 as `kinds` below says (odd: the outer context is asynchronous too; 2, 3:
    // the inner exit's future is finished when returned; 4, 5: the inner enter fails on the
    // 1st, 2nd start; 6, 7: its exit on the 1st, 2nd stop). Any other byte maps as before.
    // Added after them: the bytes 'Q'..'X' choose the same pair, whose failing future ends
    // canceled instead: with w = contextByte - 'Q', from a 3 ms timer if w >= 4, else from a 0 ms
    // one; w % 4 as the kinds 4..7 (the inner enter on the 1st start, with the outer one
    // asynchronous on the 2nd; the inner exit on the 1st stop, asynchronous outer on the 2nd).
    const uint8_t contextByte = m_in.byte();
    const bool cancelingContext = contextByte >= 'Q' && contextByte <= 'X';
    const bool asyncContext = (contextByte >= 'A' && contextByte <= 'P') || cancelingContext;
    const int context = cancelingContext ? 4 + (contextByte - 'Q') % 4
        : asyncContext                   ? (contextByte - 'A') % 8
                                         : contextByte % 8;
    const int contextDelayMs =
        (cancelingContext ? contextByte - 'Q' >= 4 : contextByte - 'A' >= 8) ? 3 : 0;
    if (cancelingContext) {
        static const char *const kinds[] = {"enter canceled 1st", "outer async, enter canceled 2nd",
                                            "exit canceled 1st", "outer async, exit canceled 2nd"};
        trace("P%d%c%s s%d t%d m%d c%c(async, %s, %d ms)", index, isAsync ? 'A' : 'B',
              withSignals ? "+signals" : "", size, timeout, maxPending, contextByte,
              kinds[context - 4], contextDelayMs);
    } else if (asyncContext) {
        static const char *const kinds[] = {"",
                                            ", outer async",
                                            ", ready exit",
                                            ", outer async, ready exit",
                                            ", enter fails 1st",
                                            ", outer async, enter fails 2nd",
                                            ", exit fails 1st",
                                            ", outer async, exit fails 2nd"};
        trace("P%d%c%s s%d t%d m%d c%c(async%s, %d ms)", index, isAsync ? 'A' : 'B',
              withSignals ? "+signals" : "", size, timeout, maxPending, contextByte, kinds[context],
              contextDelayMs);
    } else {
        trace("P%d%c%s s%d t%d m%d c%d", index, isAsync ? 'A' : 'B', withSignals ? "+signals" : "",
              size, timeout, maxPending, context);
    }
    if (int(m_pools.size()) >= MaxPoolsPerInput)
        return;
    if (PoolInfo *old = slot(index))
        destroy(old);

    auto info = std::make_unique<PoolInfo>();
    PoolInfo *p = info.get();
    p->serial = int(m_pools.size());
    p->isAsync = isAsync;
    p->options.name = QStringLiteral("%1%2").arg(QLatin1String(ThreadPrefix)).arg(p->serial);
    p->options.size = size;
    p->options.timeout = std::chrono::milliseconds(timeout);
    p->options.maxPending = maxPending;
    if (isAsync)
        p->async = std::make_unique<AsyncThreadedTaskPool>(p->options);
    else
        p->blocking = std::make_unique<BlockingThreadedTaskPool>(p->options);
    if (withSignals) {
        p->signals = std::make_shared<SignalCounts>();
        auto connectTo = [s = p->signals](auto *pool) {
            using Pool = std::remove_pointer_t<decltype(pool)>;
            // No context object: called on the pool thread, as the task ends.
            QObject::connect(pool, &Pool::taskCompleted, [s] { ++s->counts[0]; });
            QObject::connect(pool, &Pool::taskFailed, [s](const QString &message) {
                if (message != QLatin1String("fuzz error"))
                    fail("taskFailed(\"%s\"), not the task's what()", qPrintable(message));
                ++s->counts[1];
            });
            QObject::connect(pool, &Pool::taskTimedOut, [s] { ++s->counts[2]; });
            QObject::connect(pool, &Pool::taskCanceled, [s] { ++s->counts[3]; });
        };
        if (isAsync)
            connectTo(p->async.get());
        else
            connectTo(p->blocking.get());
    }
    if (asyncContext) {
        p->context = std::make_shared<ContextState>();
        ContextState *c = p->context.get();
        c->async = true;
        c->outerAsync = context % 2;
        c->delayMs = contextDelayMs;
        c->cancels = cancelingContext;
        if (context == 4 || context == 5)
            c->failEnterAt = context - 3;
        if (context == 6 || context == 7)
            c->failExitAt = context - 5;
        addAsyncContexts(p, context == 2 || context == 3);
    } else if (context >= 2) {
        p->context = std::make_shared<ContextState>();
        if (context == 4 || context == 5)
            p->context->failEnterAt = context - 3;
        if (context == 6 || context == 7)
            p->context->failExitAt = context - 5;
        auto enter = [c = p->context] {
            const int call = ++c->enterCalls;
            if (call == c->failEnterAt)
                throw FuzzError(-call);
            ++c->entered;
        };
        auto exit = [c = p->context] {
            const int call = ++c->exited;
            if (call == c->failExitAt)
                throw FuzzError(-100 - call);
        };
        if (isAsync)
            p->async->addContext(enter, exit);
        else
            p->blocking->addContext(enter, exit);
    }
    m_pools.push_back(std::move(info));
    m_slots[index] = p;
}

// A context's failure as start() or stop() (`call`) reported it: FuzzError(id) from a context that
// fails, the pool's CanceledError naming the `what` ("enter" or "exit") future from one whose
// future ends canceled; `expected` tells whether a context was to fail at all.
void checkContextError(const PoolInfo *p, std::exception_ptr error, bool expected, int id,
                       const char *call)
{
    const bool cancels = p->context && p->context->cancels;
    try {
        std::rethrow_exception(error);
    } catch (const FuzzError &e) {
        FUZZ_CHECK(expected && !cancels && e.id == id,
                   "%s of pool %d failed with context error %d (a failure expected: %d, error %d, "
                   "canceling context: %d)",
                   call, p->serial, e.id, expected, id, cancels);
    } catch (const CanceledError &e) {
        const char *what = std::strncmp(call, "start", 5) == 0 ? "enter" : "exit";
        const std::string text = "pool \"" + p->options.name.toStdString() + "\" a context's "
            + what + " future was canceled";
        FUZZ_CHECK(expected && cancels && text == e.what(), "%s of pool %d threw CanceledError: %s",
                   call, p->serial, e.what());
    }
}

void Harness::start(PoolInfo *p)
{
    const int call = p->starts + 1;
    const bool enterFails = p->context && p->context->failEnterAt == call;
    try {
        if (p->isAsync) {
            QFuture<void> future = p->async->start();
            FUZZ_CHECK(!p->running, "start() of running pool %d did not throw", p->serial);
            p->starts = call;
            p->lifecycle.push_back({future, enterFails, "start()", -call});
            if (enterFails) {
                // Settle the model: once the start failed, the pool is stopped. The new run
                // begins once a previous one still draining ended: let that finish.
                p->gates->setAutoOpen(true);
                try {
                    future.waitForFinished();
                    fail("async start() of pool %d succeeded though its context's enter failed",
                         p->serial);
                } catch (const FuzzError &) {
                    checkContextError(p, std::current_exception(), true, -call, "start()");
                } catch (const CanceledError &) {
                    checkContextError(p, std::current_exception(), true, -call, "start()");
                }
                ++p->failedStarts;
                checkContextsExited(p);
                p->gates->setAutoOpen(false);
                FUZZ_CHECK(!p->async->isRunning(), "pool %d runs after a failed start", p->serial);
                return;
            }
        } else {
            std::exception_ptr error;
            try {
                p->blocking->start();
            } catch (const FuzzError &) {
                error = std::current_exception();
            } catch (const CanceledError &) {
                error = std::current_exception();
            }
            if (error) {
                p->starts = call;
                ++p->failedStarts;
                checkContextError(p, error, enterFails, -call, "start()");
                FUZZ_CHECK(!p->blocking->isRunning(), "pool %d runs after a failed start",
                           p->serial);
                checkContextsExited(p);
                return;
            }
            FUZZ_CHECK(!p->running, "start() of running pool %d did not throw", p->serial);
            p->starts = call;
            FUZZ_CHECK(!enterFails, "start() of pool %d succeeded though its enter threw",
                       p->serial);
        }
        p->running = true;
        ++p->runs;
    } catch (const AlreadyRunningError &) {
        FUZZ_CHECK(p->running, "start() of stopped pool %d threw AlreadyRunningError", p->serial);
    }
}

void Harness::stop(PoolInfo *p, std::optional<std::chrono::milliseconds> grace)
{
    const bool exitFails = p->context && p->running && p->context->failExitAt == p->runs;
    if (grace && p->running)
        ++p->graceStops;
    // A drain waits for every task: open the gates first. A grace needs no help.
    const bool blockingDrain = !p->isAsync && !grace;
    if (blockingDrain)
        p->gates->setAutoOpen(true);
    try {
        if (p->isAsync) {
            QFuture<void> future = grace ? p->async->stop(*grace) : p->async->stop();
            FUZZ_CHECK(p->running, "stop() of stopped pool %d did not throw", p->serial);
            p->lifecycle.push_back({future, exitFails, "stop()", -100 - p->runs});
        } else {
            try {
                if (grace)
                    p->blocking->stop(*grace);
                else
                    p->blocking->stop();
                FUZZ_CHECK(p->running, "stop() of stopped pool %d did not throw", p->serial);
                FUZZ_CHECK(!exitFails, "stop() of pool %d hid its context's exit error", p->serial);
            } catch (const FuzzError &) {
                checkContextError(p, std::current_exception(), exitFails, -100 - p->runs, "stop()");
            } catch (const CanceledError &) {
                checkContextError(p, std::current_exception(), exitFails, -100 - p->runs, "stop()");
            }
            FUZZ_CHECK(!p->blocking->isRunning(), "pool %d runs after stop()", p->serial);
            checkContextsExited(p);
        }
        p->running = false;
        FUZZ_CHECK(!p->isRunning(), "pool %d isRunning() after stop began", p->serial);
    } catch (const NotRunningError &) {
        FUZZ_CHECK(!p->running, "stop() of running pool %d threw NotRunningError", p->serial);
    }
    if (blockingDrain)
        p->gates->setAutoOpen(false);
}

void Harness::destroy(PoolInfo *p)
{
    // The destructor drains: open the gates for good.
    p->gates->setAutoOpen(true);
    // A context's exit that throws in the destructor's stop is swallowed there.
    p->blocking.reset();
    p->async.reset();
    checkContextsExited(p); // the destructor joined the pool thread
    forgetSlot(p);
    // Everything the pool held has ended by the time its destructor returned.
    for (const Record &r : m_records) {
        FUZZ_CHECK(r.pool != p || r.future.isFinished(),
                   "a %s task's future (value %d) of destroyed pool %d is not finished",
                   kindName(r.kind), r.value, p->serial);
    }
    {
        QMutexLocker locker(&m_log->mutex);
        for (const Record &r : m_log->children) {
            FUZZ_CHECK(r.pool != p || r.future.isFinished(),
                       "a %s task's future (value %d) of destroyed pool %d is not finished",
                       kindName(r.kind), r.value, p->serial);
        }
    }
    for (const LifecycleRecord &l : p->lifecycle) {
        FUZZ_CHECK(l.future.isFinished(), "the %s future of destroyed pool %d is not finished",
                   l.what, p->serial);
    }
}

void Harness::forgetSlot(PoolInfo *p)
{
    p->running = false;
    p->destroyed = true;
    for (int i = 0; i < Slots; ++i) {
        if (m_slots[i] == p)
            m_slots[i] = nullptr;
    }
}

// A task that stops its own pool: the async stop() is fine from the pool thread, the blocking one
// throws DeadlockError. The harness waits for the task, so the model knows the pool stopped.
void Harness::selfStop(PoolInfo *p)
{
    struct Outcome
    {
        std::optional<QFuture<void>> stopped;
        const char *error = nullptr;
    };
    auto outcome = std::make_shared<Outcome>();
    BlockingThreadedTaskPool *blocking = p->blocking.get();
    AsyncThreadedTaskPool *async = p->async.get();
    const int value = m_nextValue++;
    const std::size_t before = m_records.size();
    const bool exitFails = p->context && p->context->failExitAt == p->runs;
    submit(
        p, Kind::SelfStop,
        [blocking, async, outcome, value] {
            try {
                if (blocking) {
                    blocking->stop();
                    outcome->error = "the blocking stop() from the pool thread did not throw";
                } else {
                    outcome->stopped = async->stop();
                }
            } catch (const DeadlockError &) {
                if (!blocking)
                    outcome->error = "the async stop() threw DeadlockError";
            } catch (const NotRunningError &) {
                outcome->error = "stop() from the pool thread threw NotRunningError";
            }
            return value;
        },
        value);
    if (m_records.size() == before)
        return; // refused
    // Wait for the task: let whatever runs ahead of it finish.
    p->gates->setAutoOpen(true);
    try {
        m_records.back().future.waitForFinished();
    } catch (...) {
        fail("a self-stopping task of pool %d failed", p->serial);
    }
    p->gates->setAutoOpen(false);
    FUZZ_CHECK(!outcome->error, "pool %d: %s", p->serial, outcome->error);
    if (async) {
        FUZZ_CHECK(outcome->stopped.has_value(), "pool %d: no stop() future", p->serial);
        p->lifecycle.push_back(
            {*outcome->stopped, exitFails, "stop() from a task", -100 - p->runs});
        p->running = false;
        FUZZ_CHECK(!async->isRunning(), "pool %d runs after stop() from a task", p->serial);
    }
}

// A task that destroys its own pool: the destructor cannot wait for its own thread, so the run
// drains and ends on its own afterwards. The harness hands the pool over to the task.
void Harness::selfDestroy(PoolInfo *p)
{
    struct Handoff
    {
        QSemaphore ready;
        std::unique_ptr<BlockingThreadedTaskPool> blocking;
        std::unique_ptr<AsyncThreadedTaskPool> async;
    };
    auto handoff = std::make_shared<Handoff>();
    const int value = m_nextValue++;
    const std::size_t before = m_records.size();
    submit(
        p, Kind::SelfDestroy,
        [handoff, value] {
            handoff->ready.acquire(); // until the harness gave up the pool
            handoff->blocking.reset();
            handoff->async.reset();
            return value;
        },
        value);
    if (m_records.size() == before)
        return; // refused
    p->gates->setAutoOpen(true); // for good: the run drains without the harness
    handoff->blocking = std::move(p->blocking);
    handoff->async = std::move(p->async);
    handoff->ready.release();
    try {
        m_records.back().future.waitForFinished();
    } catch (...) {
        fail("a self-destroying task of pool %d failed", p->serial);
    }
    p->destroyedFromOwnThread = true;
    forgetSlot(p);
}

template<typename F>
void Harness::submit(PoolInfo *p, Kind kind, F &&task, int value, int count, int throwAt)
{
    try {
        Record r {kind,         p, p->createTask(std::forward<F>(task)), value, count, throwAt,
                  p->graceStops};
        FUZZ_CHECK(p->running, "pool %d accepted a %s task while stopped", p->serial,
                   kindName(kind));
        ++p->accepted;
        m_records.push_back(std::move(r));
    } catch (const NotRunningError &) {
        FUZZ_CHECK(!p->running, "running pool %d refused a %s task: NotRunningError", p->serial,
                   kindName(kind));
    } catch (const PoolFullError &) {
        FUZZ_CHECK(p->running && p->options.maxPending > 0,
                   "pool %d (maxPending %d) threw PoolFullError", p->serial, p->options.maxPending);
        ++p->rejected;
    }
}

void Harness::submitBatch(PoolInfo *p, int n, int throwAt)
{
    const int value = m_nextValue++;
    auto function = [value, throwAt](int i) {
        if (i == throwAt)
            throw FuzzError(value);
        if (i % 4 == 3)
            std::this_thread::sleep_for(700us); // the element's work: lets the batch yield
        return value * 100 + i;
    };
    try {
        // A vector, not std::views::iota: Clang 14 cannot use libstdc++ 12's views.
        std::vector<int> elements(n);
        for (int i = 0; i < n; ++i)
            elements[i] = i;
        QFuture<int> future = p->isAsync ? p->async->createTasks(std::move(elements), function)
                                         : p->blocking->createTasks(std::move(elements), function);
        FUZZ_CHECK(p->running, "pool %d accepted a batch while stopped", p->serial);
        ++p->accepted;
        m_records.push_back({Kind::Batch, p, future, value, n, throwAt, p->graceStops});
    } catch (const NotRunningError &) {
        FUZZ_CHECK(!p->running, "running pool %d refused a batch: NotRunningError", p->serial);
    } catch (const PoolFullError &) {
        FUZZ_CHECK(p->running && p->options.maxPending > 0,
                   "pool %d (maxPending %d) threw PoolFullError", p->serial, p->options.maxPending);
        ++p->rejected;
    }
}

void Harness::blockingRun(PoolInfo *p, int work)
{
    const int value = m_nextValue++;
    auto task = [value, work] {
        sleepWork(work);
        return value;
    };
    if (p->isAsync) {
        try {
            QFuture<int> future = p->async->run(task);
            FUZZ_CHECK(p->running, "pool %d accepted run() while stopped", p->serial);
            ++p->accepted;
            m_records.push_back({Kind::Run, p, future, value, 0, -1, p->graceStops});
        } catch (const NotRunningError &) {
            FUZZ_CHECK(!p->running, "running pool %d refused run()", p->serial);
        } catch (const PoolFullError &) {
            FUZZ_CHECK(p->running && p->options.maxPending > 0,
                       "pool %d (maxPending %d) threw PoolFullError", p->serial,
                       p->options.maxPending);
            ++p->rejected;
        }
        return;
    }
    // run() waits for its task, and for room with maxPending: let everything ahead finish.
    p->gates->setAutoOpen(true);
    try {
        const int result = p->blocking->run(task);
        FUZZ_CHECK(p->running, "pool %d ran run() while stopped", p->serial);
        FUZZ_CHECK(result == value, "run() on pool %d returned %d, not %d", p->serial, result,
                   value);
        ++p->accepted;
        // Completed: a finished future stands for it.
        QPromise<int> done;
        done.start();
        done.addResult(value);
        done.finish();
        m_records.push_back({Kind::Run, p, done.future(), value, 0, -1, p->graceStops});
    } catch (const NotRunningError &) {
        FUZZ_CHECK(!p->running, "running pool %d refused run()", p->serial);
    }
    p->gates->setAutoOpen(false);
}

// Another thread submits a task (blocking pool: a run(), which waits for it; async pool:
// createTask()) while this thread stops the pool; both start together. The submission's outcome
// depends on who wins, but each is exact: accepted only if the pool was running (then it ends
// completed, or canceled by a stop(grace)), refused with NotRunningError otherwise or when the
// stop came first, PoolFullError only with maxPending on the async pool (run() waits for room,
// and a stop ends that wait with NotRunningError). Destroying the pool instead is not raced: no
// call may overlap the destructor.
void Harness::racingSubmitAndStop(PoolInfo *p, int mode)
{
    enum class Result { None, Accepted, NotRunning, PoolFull, Canceled, Unexpected };
    struct Racer
    {
        Result result = Result::None;
        int returned = 0; // blocking run()'s result
        QFuture<int> future; // async: the accepted task's
        std::string error;
    };
    const int value = m_nextValue++;
    const bool wasRunning = p->running;
    const int graceStops = p->graceStops; // before this stop: a stop(grace) may cancel the task
    static constexpr int graces[] = {-1, 0, 1, 5};
    const std::optional<std::chrono::milliseconds> grace =
        graces[mode] < 0 ? std::nullopt : std::optional(std::chrono::milliseconds(graces[mode]));
    auto task = [value] {
        sleepWork(2);
        return value;
    };
    // The blocking run() waits for its task, and for room: whatever runs ahead must finish.
    p->gates->setAutoOpen(true);
    Racer racer;
    std::latch go(2);
    std::thread thread([&racer, &go, task, blocking = p->blocking.get(), async = p->async.get()] {
        go.arrive_and_wait();
        try {
            if (blocking) {
                racer.returned = blocking->run(task);
            } else {
                racer.future = async->createTask(task);
            }
            racer.result = Result::Accepted;
        } catch (const NotRunningError &) {
            racer.result = Result::NotRunning;
        } catch (const PoolFullError &) {
            racer.result = Result::PoolFull;
        } catch (const CanceledError &) {
            racer.result = Result::Canceled;
        } catch (const std::exception &e) {
            racer.result = Result::Unexpected;
            racer.error = e.what();
        } catch (...) {
            racer.result = Result::Unexpected;
            racer.error = "unknown exception";
        }
    });
    go.arrive_and_wait();
    stop(p, grace);
    thread.join();
    p->gates->setAutoOpen(false);
    static const char *const resultNames[] = {"none",     "accepted", "refused",
                                              "poolFull", "canceled", "unexpected"};
    trace("=%s", resultNames[int(racer.result)]);

    FUZZ_CHECK(racer.result != Result::Unexpected,
               "a racing submission to pool %d threw an unexpected exception: %s", p->serial,
               racer.error.c_str());
    FUZZ_CHECK(wasRunning || racer.result == Result::NotRunning,
               "stopped pool %d did not refuse a racing submission with NotRunningError",
               p->serial);
    switch (racer.result) {
    case Result::Accepted:
    case Result::Canceled: {
        ++p->accepted;
        QFuture<int> future = racer.future;
        if (p->blocking) {
            // run() returned or threw: a finished future stands for its outcome.
            QPromise<int> done;
            done.start();
            if (racer.result == Result::Accepted) {
                FUZZ_CHECK(racer.returned == value, "racing run() on pool %d returned %d, not %d",
                           p->serial, racer.returned, value);
                done.addResult(value);
            } else {
                done.future().cancel();
            }
            done.finish();
            future = done.future();
        } else {
            FUZZ_CHECK(racer.result == Result::Accepted,
                       "a racing createTask() on pool %d threw CanceledError", p->serial);
        }
        // checkOutcome() allows canceled only after a stop(grace) that came after submission.
        m_records.push_back({Kind::RacingRun, p, future, value, 0, -1, graceStops});
        break;
    }
    case Result::PoolFull:
        FUZZ_CHECK(p->async && p->options.maxPending > 0,
                   "pool %d (maxPending %d) threw PoolFullError to a racing %s", p->serial,
                   p->options.maxPending, p->async ? "createTask()" : "run()");
        ++p->rejected;
        break;
    case Result::NotRunning:
    case Result::None:
    case Result::Unexpected:
        FUZZ_CHECK(racer.result == Result::NotRunning,
                   "a racing submission to pool %d never finished", p->serial);
        break;
    }
}

void Harness::readStatus(PoolInfo *p)
{
    const qint64 rejectedSeen = p->rejected.load();
    const qint64 acceptedSeen = p->accepted.load();
    PoolStatus *s = p->status();
    const qint64 ended = s->completed() + s->failed() + s->timedOut() + s->canceled();
    const int pending = s->pending();
    const int running = s->running();
    const qint64 submitted = s->submitted();
    FUZZ_CHECK(pending >= 0 && running >= 0, "pool %d: pending %d, running %d", p->serial, pending,
               running);
    FUZZ_CHECK(p->options.size == 0 || running <= p->options.size,
               "pool %d of size %d has %d running", p->serial, p->options.size, running);
    FUZZ_CHECK(submitted >= ended, "pool %d: submitted %lld < ended %lld", p->serial,
               static_cast<long long>(submitted), static_cast<long long>(ended));
    FUZZ_CHECK(submitted >= acceptedSeen, "pool %d: submitted %lld < accepted %lld", p->serial,
               static_cast<long long>(submitted), static_cast<long long>(acceptedSeen));
    FUZZ_CHECK(s->rejected() >= rejectedSeen, "pool %d: rejected %lld < seen %lld", p->serial,
               static_cast<long long>(s->rejected()), static_cast<long long>(rejectedSeen));
    FUZZ_CHECK(s->isActive() == p->running && p->isRunning() == p->running,
               "pool %d: active %d, isRunning %d, expected %d", p->serial, s->isActive(),
               p->isRunning(), p->running);
    FUZZ_CHECK(s->size() == p->options.size, "pool %d: status size %d", p->serial, s->size());
}

// ---- Background and periodic tasks (operations B and V) ----

constexpr int MaxBackgroundTasks = 4; // per input

// The current input's tasks by serial, for the warnings they log (from any thread).
std::atomic<BgInfo *> g_bgTasks[MaxBackgroundTasks];

bool hasException(const QFuture<void> &future, std::exception_ptr *error = nullptr)
{
    try {
        QFuture<void>(future).waitForFinished();
    } catch (...) {
        if (error)
            *error = std::current_exception();
        return true;
    }
    return false;
}

// The future the function returned last during run `run` was canceled with it (or had finished).
void checkInnerCanceled(const BgInfo *b, int run, const char *how)
{
    for (auto it = b->inners.rbegin(); it != b->inners.rend(); ++it) {
        if (it->run != run)
            continue;
        FUZZ_CHECK(it->future.isFinished() || it->future.isCanceled(),
                   "background task %d: %s left its function's future running", b->serial, how);
        return;
    }
}

void bgStart(BgInfo *b, int value);
void bgCancel(BgInfo *b);
void bgDestroy(BgInfo *b, bool parent);

// A slot armed by operation V acts on the task from within the signal `signal`: once.
void bgReact(BgInfo *b, BgSignal signal)
{
    BgInfo::Reaction &reaction = b->reactions[signal];
    const int action = reaction.action;
    if (action == ActNone || !b->task)
        return;
    reaction.action = ActNone;
    switch (action) {
    case ActStart:
        bgStart(b, reaction.value);
        break;
    case ActCancel:
        bgCancel(b);
        break;
    case ActDelete:
        bgDestroy(b, false);
        break;
    case ActDeleteLater:
        b->task->deleteLater();
        break;
    }
}

// The innermost start() or cancel() in progress, or null (the event loop delivers the news).
BgFrame *bgTop(BgInfo *b)
{
    return b->frames.empty() ? nullptr : &b->frames.back();
}

// Once both are known (the outcome, and the future start() returned): they agree, and the
// operations and the function's kind allow the outcome.
void bgCheckRunFuture(BgInfo *b, int run)
{
    static const char *const names[] = {"",           "finished()", "failed()",
                                        "canceled()", "destroyed",  "lost"};
    BgRun &r = b->runs[run];
    const char *name = names[int(r.outcome)];
    FUZZ_CHECK(r.future.isFinished(), "background task %d: %s before run %d's future finished",
               b->serial, name, run);
    std::exception_ptr error;
    const bool failed = hasException(r.future, &error);
    const char *kind = bgKindNames[b->kind];
    const bool mayFinish = !b->periodic
        && (b->kind == BgReady || b->kind == BgTimer0 || b->kind == BgTimer3 || b->kind == BgPool);
    switch (r.outcome) {
    case BgOutcome::Finished:
        FUZZ_CHECK(!failed && !r.future.isCanceled(),
                   "background task %d: finished() but its future failed (%d) or was canceled",
                   b->serial, failed);
        FUZZ_CHECK(!r.cancelRequested && mayFinish,
                   "background task %d (%s%s): finished() though canceled (%d)", b->serial, kind,
                   b->periodic ? ", periodic" : "", r.cancelRequested);
        if (!b->voidForm) {
            FUZZ_CHECK(r.result.resultCount() == 1 && r.result.resultAt(0) == r.value,
                       "background task %d: finished() with %d results, not %d", b->serial,
                       r.result.resultCount(), r.value);
        }
        break;
    case BgOutcome::Failed: {
        FUZZ_CHECK(failed, "background task %d: failed(\"%s\")%s but its future did not fail",
                   b->serial, qPrintable(r.message), r.warned ? " (warned)" : "");
        std::string what = "an unknown exception";
        bool allowed = false;
        try {
            std::rethrow_exception(error);
        } catch (const FuzzError &e) {
            what = e.what();
            allowed = e.id == r.value
                && (b->kind == BgThrow || b->kind == BgFailing || b->kind == BgPool);
        } catch (const NotRunningError &e) {
            what = e.what();
            allowed = b->kind == BgPool;
        } catch (const PoolFullError &e) {
            what = e.what();
            allowed = b->kind == BgPool;
        } catch (const TimeoutError &e) {
            what = e.what();
            allowed = b->kind == BgPool;
        } catch (const std::exception &e) {
            what = e.what();
        } catch (...) { }
        FUZZ_CHECK(allowed && !r.cancelRequested,
                   "background task %d (%s): failed with \"%s\" (canceled: %d)", b->serial, kind,
                   what.c_str(), r.cancelRequested);
        FUZZ_CHECK(r.message == QString::fromStdString(what),
                   "background task %d: failed(\"%s\")%s but its future carries \"%s\"", b->serial,
                   qPrintable(r.message), r.warned ? " (warned)" : "", what.c_str());
        break;
    }
    case BgOutcome::Canceled:
        FUZZ_CHECK(!failed && r.future.isCanceled(),
                   "background task %d: canceled() but its future failed (%d) or was not canceled",
                   b->serial, failed);
        FUZZ_CHECK(r.cancelRequested
                       || (!b->periodic && (b->kind == BgProducerCancels || b->kind == BgPool)),
                   "background task %d (%s%s): canceled() though nobody canceled it", b->serial,
                   kind, b->periodic ? ", periodic" : "");
        break;
    case BgOutcome::Destroyed:
        FUZZ_CHECK(r.future.isCanceled() && !failed,
                   "background task %d destroyed: its run's future canceled %d, failed %d",
                   b->serial, r.future.isCanceled(), failed);
        break;
    case BgOutcome::None:
    case BgOutcome::Lost:
        break;
    }
}

// The signals, on the task's thread. Each run ends with exactly one of finished(), failed() and
// canceled() (none when the task is destroyed; a failure with no receiver connected to failed()
// is logged instead), after runningChanged(false) and its future finished. From within start()
// come only its runningChanged(true) or a restart's canceled() (with the task still running),
// from within cancel() only runningChanged(false) and canceled(), and otherwise what slots and
// the function did from within them (each its own frame). The signal agrees with the future, and
// the operations and the function's kind allow it. A slot may restart the task between a run's
// runningChanged(false) and its outcome signal; only if none did is the task still not running.
void bgRunningChanged(BgInfo *b, bool on)
{
    FUZZ_CHECK(!b->destroying, "background task %d: runningChanged(%d) as it is destroyed",
               b->serial, on);
    ++b->signalCount;
    BgFrame *top = bgTop(b);
    if (top)
        ++top->signals;
    if (on) {
        FUZZ_CHECK(top && top->kind == BgFrame::Start && !top->begun && top->previous < 0
                       && b->current < 0,
                   "background task %d: runningChanged(true) out of place (in start() %d, "
                   "current run %d)",
                   b->serial, top && top->kind == BgFrame::Start, b->current);
        FUZZ_CHECK(b->task->isRunning(), "background task %d: runningChanged(true), not running",
                   b->serial);
        top->begun = true;
        b->current = top->run;
        bgReact(b, SigStarted);
        return;
    }
    FUZZ_CHECK(!top || top->kind == BgFrame::Cancel,
               "background task %d: runningChanged(false) from within start()", b->serial);
    FUZZ_CHECK(b->current >= 0, "background task %d: runningChanged(false) with no run", b->serial);
    BgRun &r = b->runs[b->current];
    FUZZ_CHECK(!r.sawStopped, "background task %d: runningChanged(false) twice for run %d",
               b->serial, b->current);
    FUZZ_CHECK(!b->task->isRunning(), "background task %d: running in runningChanged(false)",
               b->serial);
    FUZZ_CHECK(!r.futureKnown || !r.future.isFinished(),
               "background task %d: run %d's future finished before runningChanged(false)",
               b->serial, b->current);
    r.sawStopped = true;
    r.startsAtStop = b->startCount;
    const int run = b->current;
    b->stopped.push_back(run);
    b->current = -1;
    r.inStoppedSlot = true;
    bgReact(b, SigStopped);
    b->runs[run].inStoppedSlot = false;
}

// `warned`: the failure came as the warning logged when no receiver is connected to failed().
void bgOutcome(BgInfo *b, BgOutcome outcome, const QString &message, bool warned = false)
{
    static const char *const names[] = {"", "finished()", "failed()", "canceled()"};
    const char *name = warned ? "the unhandled failure's warning" : names[int(outcome)];
    FUZZ_CHECK(!b->destroying, "background task %d: %s as it is destroyed", b->serial, name);
    FUZZ_CHECK(outcome != BgOutcome::Failed || b->listening != warned,
               "background task %d: %s, with %s receiver connected to failed()", b->serial, name,
               b->listening ? "the harness's" : "no");
    ++b->signalCount;
    BgFrame *top = bgTop(b);
    if (top)
        ++top->signals;
    const bool restart = top && top->kind == BgFrame::Start && !top->begun && top->previous >= 0
        && outcome == BgOutcome::Canceled;
    int run;
    if (restart) {
        run = top->previous;
        FUZZ_CHECK(b->current == run && !b->runs[run].sawStopped && b->task->isRunning(),
                   "background task %d: a restart's canceled() for run %d, current %d, after "
                   "runningChanged(false) %d, running %d",
                   b->serial, run, b->current, b->runs[run].sawStopped, b->task->isRunning());
    } else {
        FUZZ_CHECK(!top || top->kind == BgFrame::Cancel,
                   "background task %d: %s from within start()", b->serial, name);
        FUZZ_CHECK(!b->stopped.empty(),
                   "background task %d: %s without runningChanged(false) before it (current run "
                   "%d)",
                   b->serial, name, b->current);
        run = b->stopped.back();
        b->stopped.pop_back();
        FUZZ_CHECK(b->runs[run].startsAtStop != b->startCount || !b->task->isRunning(),
                   "background task %d: running in %s, and nobody restarted it", b->serial, name);
        FUZZ_CHECK(!top || outcome == BgOutcome::Canceled,
                   "background task %d: cancel() ended run %d with %s", b->serial, run, name);
    }
    BgRun &r = b->runs[run];
    r.outcome = outcome;
    r.message = message;
    r.warned = warned;
    if (r.futureKnown)
        bgCheckRunFuture(b, run);
    if (outcome == BgOutcome::Canceled && r.cancelRequested)
        checkInnerCanceled(b, run, "canceling its run");
    if (restart) {
        b->current = top->run;
        top->begun = true;
    }
    if (!warned)
        bgReact(b,
                outcome == BgOutcome::Finished     ? SigFinished
                    : outcome == BgOutcome::Failed ? SigFailed
                                                   : SigCanceled);
}

// The warning "<class>("fzbg<serial>") failed and no receiver is connected to failed(): <what>",
// under tasktools.background, on the task's thread: the failed run's outcome.
void bgWarning(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral(
        R"re(^TaskTools::(BackgroundTask|PeriodicTask)\("fzbg(\d+)"\) failed and no receiver )re"
        R"re(is connected to failed\(\): (.*)$)re"));
    const QRegularExpressionMatch match = pattern.match(text);
    FUZZ_CHECK(match.hasMatch(), "an unexpected tasktools.background warning: %s",
               qPrintable(text));
    const int serial = match.captured(2).toInt();
    BgInfo *b = serial < MaxBackgroundTasks ? g_bgTasks[serial].load() : nullptr;
    FUZZ_CHECK(b && b->task, "a warning about background task %d, which does not exist: %s", serial,
               qPrintable(text));
    FUZZ_CHECK((match.captured(1) == QLatin1String("PeriodicTask")) == b->periodic,
               "background task %d: warned as a %s", serial, qPrintable(match.captured(1)));
    bgOutcome(b, BgOutcome::Failed, match.captured(3), true);
}

// The task was destroyed (QObject::destroyed, on its thread): its current run ended canceled,
// silently, and took the function's future with it. A run that had ended without its outcome
// signal yet (a slot of runningChanged(false) deleted the task) gets none.
void bgGone(BgInfo *b)
{
    FUZZ_CHECK(b->destroying, "background task %d destroyed by nobody", b->serial);
    if (b->current >= 0) {
        BgRun &r = b->runs[b->current];
        r.outcome = BgOutcome::Destroyed;
        if (r.futureKnown)
            bgCheckRunFuture(b, b->current);
        checkInnerCanceled(b, b->current, "destroying the task");
        b->current = -1;
    }
    // Their futures finish once the slot returns (bgCheck() sees that they did).
    for (int run : b->stopped) {
        FUZZ_CHECK(b->runs[run].inStoppedSlot,
                   "background task %d: run %d ended, but neither its outcome signal nor a "
                   "warning came",
                   b->serial, run);
        b->runs[run].outcome = BgOutcome::Lost;
    }
    b->stopped.clear();
    b->task = nullptr;
    b->background = nullptr;
    b->backgroundVoid = nullptr;
    b->periodicTask = nullptr;
    b->gone.store(true);
}

// Between the operations, on the task's thread: nothing is in progress, and every run that ended
// had its outcome signal (or warning) at once.
void bgSettled(BgInfo *b)
{
    FUZZ_CHECK(b->frames.empty(), "background task %d: %d calls in progress between operations",
               b->serial, int(b->frames.size()));
    FUZZ_CHECK(b->stopped.empty(),
               "background task %d: run %d ended, but neither its outcome signal nor a warning "
               "came",
               b->serial, b->stopped.empty() ? -1 : b->stopped.back());
}

// Before start() or cancel(): checks isRunning() against the model and marks the current run,
// if any, as ended on request. Returns whether a run was current.
bool bgEndCurrentRequested(BgInfo *b)
{
    const bool wasRunning = b->current >= 0;
    FUZZ_CHECK(b->task->isRunning() == wasRunning, "background task %d: isRunning() %d, not %d",
               b->serial, b->task->isRunning(), wasRunning);
    if (wasRunning)
        b->runs[b->current].cancelRequested = true;
    return wasRunning;
}

void bgStart(BgInfo *b, int value)
{
    if (!b->task)
        return;
    const bool wasRunning = bgEndCurrentRequested(b);
    BgRun fresh;
    fresh.value = value;
    b->runs.push_back(fresh);
    const int run = int(b->runs.size()) - 1;
    const int previous = b->current;
    BgFrame frame {BgFrame::Start};
    frame.run = run;
    frame.previous = previous;
    frame.startsBefore = b->startCount++;
    b->frames.push_back(frame);
    QFuture<int> result;
    QFuture<void> future;
    if (b->periodic) {
        future = b->periodicTask->start();
    } else if (b->voidForm) {
        future = b->backgroundVoid->start();
    } else {
        result = b->background->start();
        future = QFuture<void>(result);
    }
    frame = b->frames.back();
    b->frames.pop_back();
    BgRun &r = b->runs[run];
    r.result = result;
    r.future = future;
    r.futureKnown = true;
    FUZZ_CHECK(!wasRunning || b->runs[previous].outcome != BgOutcome::None,
               "background task %d: a restart did not end run %d", b->serial, previous);
    FUZZ_CHECK(frame.calls <= 1, "background task %d: start() called its function %d times",
               b->serial, frame.calls);
    if (r.outcome == BgOutcome::None) {
        // Nothing ended the new run from within start().
        FUZZ_CHECK(frame.begun && frame.calls == 1 && b->current == run,
                   "background task %d: start() began its run %d, called its function %d "
                   "times, current run %d",
                   b->serial, frame.begun, frame.calls, b->current);
        FUZZ_CHECK(b->task->isRunning() && !future.isFinished(),
                   "background task %d: start() returned with running %d, its future finished %d",
                   b->serial, b->task->isRunning(), future.isFinished());
        return;
    }
    // A slot or the function canceled, restarted or deleted the task from within start(): the
    // new run ended canceled, and so did what its function returned.
    FUZZ_CHECK(r.outcome == BgOutcome::Canceled || r.outcome == BgOutcome::Destroyed
                   || r.outcome == BgOutcome::Lost,
               "background task %d: run %d ended within start() other than canceled", b->serial,
               run);
    FUZZ_CHECK(future.isFinished() && future.isCanceled() && !hasException(future),
               "background task %d: run %d ended within start(), its future finished %d, "
               "canceled %d",
               b->serial, run, future.isFinished(), future.isCanceled());
    bgCheckRunFuture(b, run);
    checkInnerCanceled(b, run, "ending its run from within start()");
}

void bgCancel(BgInfo *b)
{
    if (!b->task)
        return;
    const bool wasRunning = bgEndCurrentRequested(b);
    const int run = b->current;
    BgFrame frame {BgFrame::Cancel};
    frame.startsBefore = b->startCount;
    b->frames.push_back(frame);
    b->task->cancel();
    frame = b->frames.back();
    b->frames.pop_back();
    FUZZ_CHECK(!wasRunning || b->runs[run].outcome != BgOutcome::None,
               "background task %d: cancel() left run %d without an outcome", b->serial, run);
    // Both signals, unless a slot of runningChanged(false) deleted the task.
    FUZZ_CHECK(frame.signals == (wasRunning ? 2 : 0)
                   || (wasRunning && !b->task && frame.signals == 1),
               "background task %d: cancel() emitted %d signals", b->serial, frame.signals);
    if (b->task && b->startCount == frame.startsBefore) {
        FUZZ_CHECK(b->current < 0 && !b->task->isRunning(),
                   "background task %d: cancel() left run %d current (running %d)", b->serial,
                   b->current, b->task->isRunning());
    }
}

// The caller cancels the current run's future: the run must end canceled (on this thread: by the
// next round of the event loop).
void bgCancelFuture(BgInfo *b)
{
    if (!b->task || b->current < 0)
        return;
    const int run = b->current;
    b->runs[run].cancelRequested = true;
    b->runs[run].future.cancel();
    if (!b->home) {
        // The task hears of it through its event loop: at the next round.
        QCoreApplication::processEvents();
        FUZZ_CHECK(b->current != run,
                   "background task %d: run %d goes on though its caller canceled its future",
                   b->serial, run);
    }
}

void bgDestroy(BgInfo *b, bool parent)
{
    if (!b->task)
        return;
    b->destroying = true;
    if (parent) {
        delete b->parent;
        b->parent = nullptr;
    } else {
        delete b->task;
    }
    FUZZ_CHECK(b->gone.load(), "background task %d: destroyed, but no destroyed()", b->serial);
}

// Connects or disconnects the harness's receiver of failed() (operation V): without one, a
// failure must be logged instead, exactly once.
void bgListen(BgInfo *b, bool on)
{
    if (!b->task || b->listening == on)
        return;
    b->listening = on;
    if (on) {
        b->failedConnection = QObject::connect(
            b->task, &BackgroundTaskBase::failed, b->task,
            [b](const QString &message) { bgOutcome(b, BgOutcome::Failed, message); });
    } else {
        QObject::disconnect(b->failedConnection);
    }
}

// The function: on the task's thread, from start() (its first call) or from the task's timers
// (a periodic task's next calls, never while a previous call's future is unfinished). Armed by
// operation V, a call first cancels its own run (allowed: it runs on the task's thread), with
// whatever the slots then do; what it returns afterwards must be canceled at once.
QFuture<int> Harness::bgCall(BgInfo *b)
{
    FUZZ_CHECK(!b->destroying, "background task %d: function called as it is destroyed", b->serial);
    BgFrame *top = bgTop(b);
    int run;
    if (top && top->kind == BgFrame::Start) {
        FUZZ_CHECK(++top->calls == 1, "background task %d: function called twice in start()",
                   b->serial);
        FUZZ_CHECK(top->begun && b->current == top->run,
                   "background task %d: function called before its run %d began (current %d)",
                   b->serial, top->run, b->current);
        run = top->run;
    } else {
        FUZZ_CHECK(!top, "background task %d: function called from within cancel()", b->serial);
        FUZZ_CHECK(b->periodic, "background task %d: function called outside start()", b->serial);
        FUZZ_CHECK(b->current >= 0 && b->task->isRunning(),
                   "periodic task %d: called while not running (run %d)", b->serial, b->current);
        run = b->current;
    }
    // A periodic call: never while the previous one goes on, never after one that failed.
    FUZZ_CHECK(!b->runs[run].callThrew, "periodic task %d: called again after a call threw",
               b->serial);
    for (auto it = b->inners.rbegin(); it != b->inners.rend(); ++it) {
        if (it->run != run)
            continue;
        FUZZ_CHECK(it->future.isFinished(),
                   "periodic task %d: a call began before the previous call's future finished",
                   b->serial);
        FUZZ_CHECK(!hasException(it->future),
                   "periodic task %d: called again after a call's future failed", b->serial);
        break;
    }
    const int value = b->runs[run].value;
    bool orphan = false;
    if (b->cancelInCall) {
        b->cancelInCall = false;
        bgCancel(b); // may restart or delete the task, through the slots
        orphan = true;
    }
    QFuture<int> inner;
    switch (b->kind) {
    case BgReady: {
        QPromise<int> promise;
        promise.start();
        promise.addResult(value);
        promise.finish();
        inner = promise.future();
        break;
    }
    case BgTimer0:
        inner = timerTask(0, value, false)();
        break;
    case BgTimer3:
        inner = timerTask(3, value, false)();
        break;
    case BgThrow:
        b->runs[run].callThrew = true;
        throw FuzzError(value);
    case BgFailing:
        inner = timerTask(1, value, true)();
        break;
    case BgHang: {
        auto promise = std::make_shared<QPromise<int>>();
        promise->start();
        b->hangs.push_back(promise);
        inner = promise->future();
        break;
    }
    case BgProducerCancels: {
        auto promise = std::make_shared<QPromise<int>>();
        promise->start();
        inner = promise->future();
        QTimer::singleShot(0, [promise] {
            promise->future().cancel();
            promise->finish();
        });
        break;
    }
    case BgPool:
        inner = bgSubmit(b, value);
        break;
    }
    b->inners.push_back({QFuture<void>(inner), run, orphan});
    return inner;
}

// BgPool on the main thread: a task of the target pool, counted like the harness's own. The
// background task may cancel its future; a refusal fails the run with the pool's error.
QFuture<int> Harness::bgSubmit(BgInfo *b, int value)
{
    PoolInfo *p = b->target;
    if (!p || !p->alive() || !takeTaskSlot())
        throw FuzzError(value); // no pool to submit to
    try {
        Record r {Kind::BgInner, p, p->createTask(timerTask(1, value, false)), value, 0, -1,
                  p->graceStops};
        FUZZ_CHECK(p->running, "pool %d accepted a background task's task while stopped",
                   p->serial);
        r.callerCanceled = true;
        ++p->accepted;
        m_records.push_back(r);
        return r.future;
    } catch (const NotRunningError &) {
        FUZZ_CHECK(!p->running, "running pool %d refused a background task's task", p->serial);
        throw;
    } catch (const PoolFullError &) {
        FUZZ_CHECK(p->running && p->options.maxPending > 0,
                   "pool %d (maxPending %d) threw PoolFullError", p->serial, p->options.maxPending);
        ++p->rejected;
        throw;
    }
}

// Runs `op` on `p`'s thread as a task and waits for it; false if the pool refused it.
bool Harness::runOnPool(PoolInfo *p, std::function<void()> op)
{
    if (!takeTaskSlot())
        return false;
    const int value = m_nextValue++;
    const std::size_t before = m_records.size();
    submit(
        p, Kind::BgOp,
        [op = std::move(op), value] {
            op();
            return value;
        },
        value);
    if (m_records.size() == before)
        return false;
    p->gates->setAutoOpen(true); // whatever runs ahead of it
    QFuture<int> future = m_records.back().future;
    try {
        future.waitForFinished();
    } catch (...) {
        fail("a background-task operation on pool %d failed", p->serial);
    }
    p->gates->setAutoOpen(false);
    FUZZ_CHECK(!future.isCanceled(), "a background-task operation on pool %d was canceled",
               p->serial);
    return true;
}

// Runs `op` on the task's thread; a task on a pool thread whose run ended went with that thread.
template<typename F>
void Harness::onHome(BgInfo *b, F &&op)
{
    if (!b->home) {
        bgSettled(b);
        op();
        return;
    }
    PoolInfo *p = b->home;
    if (p->running && p->runs == b->homeRun && p->alive()) {
        runOnPool(p, [b, op = std::forward<F>(op)]() mutable {
            bgSettled(b);
            op();
        });
    }
}

void Harness::bgCreate(int index, bool periodic, bool voidForm, int kind, int intervalMs,
                       PoolInfo *home, PoolInfo *target)
{
    if (BgInfo *old = m_bgSlots[index])
        onHome(old, [old] { bgDestroy(old, false); });
    m_bgSlots[index] = nullptr;
    if (int(m_bgs.size()) >= MaxBackgroundTasks)
        return;
    auto info = std::make_unique<BgInfo>();
    BgInfo *b = info.get();
    b->serial = int(m_bgs.size());
    b->periodic = periodic;
    b->voidForm = voidForm;
    b->kind = kind;
    b->intervalMs = intervalMs;
    b->home = home;
    b->homeRun = home ? home->runs : 0;
    b->target = target;
    g_bgTasks[b->serial].store(b);
    auto make = [this, b] {
        b->parent = new QObject;
        const std::chrono::milliseconds interval(b->intervalMs);
        if (b->periodic && b->voidForm) {
            // Synchronous: its kind is BgReady or BgThrow, whose futures are finished.
            b->periodicTask = new FuzzPeriodic(
                b, interval, [this, b] { (void)bgCall(b); }, b->parent);
            b->task = b->periodicTask;
        } else if (b->periodic) {
            b->periodicTask = new FuzzPeriodic(
                b, interval, [this, b] { return QFuture<void>(bgCall(b)); }, b->parent);
            b->task = b->periodicTask;
        } else if (b->voidForm) {
            b->backgroundVoid = new FuzzBackground<void>(
                b, [this, b] { return QFuture<void>(bgCall(b)); }, b->parent);
            b->task = b->backgroundVoid;
        } else {
            b->background = new FuzzBackground<int>(
                b, [this, b] { return bgCall(b); }, b->parent);
            b->task = b->background;
        }
        BackgroundTaskBase *t = b->task;
        t->setObjectName(QStringLiteral("fzbg%1").arg(b->serial)); // named in its warnings
        QObject::connect(t, &BackgroundTaskBase::runningChanged, t,
                         [b](bool on) { bgRunningChanged(b, on); });
        QObject::connect(t, &BackgroundTaskBase::finished, t,
                         [b] { bgOutcome(b, BgOutcome::Finished, {}); });
        b->failedConnection =
            QObject::connect(t, &BackgroundTaskBase::failed, t, [b](const QString &message) {
                bgOutcome(b, BgOutcome::Failed, message);
            });
        QObject::connect(t, &BackgroundTaskBase::canceled, t,
                         [b] { bgOutcome(b, BgOutcome::Canceled, {}); });
        QObject::connect(t, &QObject::destroyed, [b] { bgGone(b); });
        QObject::connect(b->parent, &QObject::destroyed, [b] { b->destroying = true; });
        // On a pool thread: the task goes with the thread (Qt's idiom for thread-local objects).
        if (b->home) {
            QObject::connect(QThread::currentThread(), &QThread::finished, b->parent,
                             &QObject::deleteLater);
        }
    };
    if (home) {
        if (!home->running || !home->alive() || !runOnPool(home, make))
            return;
    } else {
        make();
    }
    m_bgs.push_back(std::move(info));
    m_bgSlots[index] = b;
}

// Until the current run's future finished, or 5 ms passed (enough for the functions' timers).
void Harness::bgWait(BgInfo *b)
{
    // The model belongs to the task's thread, whose slots may start runs at any time.
    QFuture<void> future;
    bool any = false;
    onHome(b, [b, &future, &any] {
        any = !b->runs.empty();
        if (any)
            future = b->runs.back().future;
    });
    if (!any)
        return;
    QElapsedTimer timer;
    timer.start();
    while (!future.isFinished() && timer.elapsed() < 5) {
        if (!b->home)
            QCoreApplication::processEvents();
        std::this_thread::sleep_for(200us); // lets time pass for the timers; checks nothing
    }
}

// The creations of B and V (op 0-3, see there): `voidForm` makes the V kinds (a
// BackgroundTask<void>, or a PeriodicTask whose function is synchronous).
void Harness::bgCreateOp(int index, int op, int arg, bool voidForm)
{
    const bool periodic = op % 2;
    const int intervalMs = (arg / 8) % 4;
    const int poolSlot = (arg / 32) % 2;
    const bool onPool = op >= 2;
    int kind = onPool && arg % 8 == BgPool ? BgReady : arg % 8;
    if (voidForm && periodic)
        kind = kind == BgThrow || kind == BgFailing ? BgThrow : BgReady;
    const char *what = voidForm ? (periodic ? "sync periodic" : "void background")
                                : (periodic ? "periodic" : "background");
    trace("%c%d:new %s(%s, %d ms)%s%d", voidForm ? 'V' : 'B', index, what, bgKindNames[kind],
          intervalMs, onPool ? "@pool" : " to pool", poolSlot);
    bgCreate(index, periodic, voidForm, kind, intervalMs, onPool ? slot(poolSlot) : nullptr,
             onPool ? nullptr : slot(poolSlot));
}

//   B index op arg   a background task in slot `index` (0/1); op:
//     0 a BackgroundTask<int>, 1 a PeriodicTask, on this thread; 2, 3 the same on the thread
//       of pool slot (arg / 32) % 2 (created by a task, deleted as that pool run's thread ends);
//       the function's kind arg % 8 (BgKind), the interval (arg / 8) % 4 ms; BgPool's tasks
//       go to pool slot (arg / 32) % 2. Replaces (deletes) the slot's task.
//     4 start()   5 cancel()   6 cancel the current run's future, as its caller
//     7 arg % 4: 0 delete the task, 1 delete its parent, 2 and 3 wait up to 5 ms for its run
void Harness::backgroundOp()
{
    const int index = m_in.below(Slots);
    const int op = m_in.below(8);
    const int arg = m_in.byte();
    BgInfo *b = m_bgSlots[index];
    if (op < 4) {
        bgCreateOp(index, op, arg, false);
        return;
    }
    static const char *const names[] = {"start",        "cancel", "cancelFuture", "delete",
                                        "deleteParent", "wait",   "wait"};
    const int action = op == 7 ? 3 + arg % 4 : op - 4;
    trace("B%d:%s", index, names[action]);
    if (!b)
        return;
    switch (action) {
    case 0: {
        const int value = m_nextValue++;
        onHome(b, [b, value] { bgStart(b, value); });
        break;
    }
    case 1:
        onHome(b, [b] { bgCancel(b); });
        break;
    case 2:
        onHome(b, [b] { bgCancelFuture(b); });
        break;
    case 3:
    case 4:
        onHome(b, [b, parent = action == 4] { bgDestroy(b, parent); });
        break;
    default:
        bgWait(b);
        break;
    }
}

//   V index op arg   the new background-task operations, on the task in slot `index` (0/1); op:
//     0 a BackgroundTask<void>, 1 a PeriodicTask whose function is synchronous (returns void;
//       it throws if arg % 8 is BgThrow or BgFailing, else it returns), on this thread; 2, 3 the
//       same on a pool's thread; arg as for B's creations. Replaces (deletes) the slot's task.
//     4 arg % 2: 0 disconnect, 1 connect again the harness's receiver of failed() (while none
//       is connected, a failed run must log the warning instead, and nothing else may)
//     5 the function's next call cancels its run first (then returns its future as usual)
//     6 a slot of signal arg % 5 (BgSignal) does action (arg / 5) % 4 (BgAction) once, from
//       within the signal: start(), cancel(), delete or deleteLater() the task
//     7 deleteLater() the task
void Harness::reactionOp()
{
    const int index = m_in.below(Slots);
    const int op = m_in.below(8);
    const int arg = m_in.byte();
    BgInfo *b = m_bgSlots[index];
    if (op < 4) {
        bgCreateOp(index, op, arg, true);
        return;
    }
    switch (op) {
    case 4: {
        const bool on = arg % 2;
        trace("V%d:%s", index, on ? "listen" : "unlisten");
        if (b)
            onHome(b, [b, on] { bgListen(b, on); });
        break;
    }
    case 5:
        trace("V%d:cancelInCall", index);
        if (b)
            onHome(b, [b] { b->cancelInCall = true; });
        break;
    case 6: {
        const int signal = arg % SigCount;
        const int action = (arg / SigCount) % ActCount;
        trace("V%d:on %s %s", index, bgSignalNames[signal], bgActionNames[action]);
        if (b) {
            const int value = m_nextValue++;
            onHome(b, [b, signal, action, value] { b->reactions[signal] = {action, value}; });
        }
        break;
    }
    default:
        trace("V%d:deleteLater", index);
        if (b) {
            onHome(b, [b] {
                if (b->task)
                    b->task->deleteLater();
            });
        }
        break;
    }
}

// At the end of the input: the tasks on this thread are deleted (with their parents) before the
// pools stop; those on pool threads went with their threads once the pools stopped. Then every
// run has ended, with its future, and every future the functions returned finishes.
void Harness::bgFinish()
{
    for (const std::unique_ptr<BgInfo> &b : m_bgs) {
        if (!b->home && b->parent) {
            b->destroying = true;
            delete b->parent;
            b->parent = nullptr;
        }
    }
}

void Harness::bgCheck()
{
    for (const std::unique_ptr<BgInfo> &b : m_bgs) {
        // A pool destroyed from its own thread ends its run after its destructor returned.
        for (int i = 0; !b->gone.load(); ++i) {
            FUZZ_CHECK(i < 2000, "background task %d not deleted 2 s after its pool stopped",
                       b->serial);
            std::this_thread::sleep_for(1ms); // polling, not synchronising (gone is atomic)
        }
        for (std::size_t i = 0; i < b->runs.size(); ++i) {
            const BgRun &r = b->runs[i];
            FUZZ_CHECK(r.outcome != BgOutcome::None || !r.futureKnown || !hasException(r.future),
                       "background task %d: run %d failed, but neither failed() nor a warning "
                       "said so (a receiver connected: %d)",
                       b->serial, int(i), b->listening);
            FUZZ_CHECK(r.outcome != BgOutcome::None && r.future.isFinished(),
                       "background task %d: run %d never ended (future finished %d)", b->serial,
                       int(i), r.future.isFinished());
        }
        // What the function returned after canceling its own run was canceled with it.
        for (const BgInfo::Inner &inner : b->inners) {
            FUZZ_CHECK(!inner.orphan || inner.future.isFinished() || inner.future.isCanceled(),
                       "background task %d: the future its function returned after canceling "
                       "its run goes on",
                       b->serial);
        }
        b->hangs.clear(); // their futures end canceled now
    }
    // The futures the functions returned on this thread finish from its timers.
    QElapsedTimer timer;
    timer.start();
    for (const std::unique_ptr<BgInfo> &b : m_bgs) {
        for (const BgInfo::Inner &inner : b->inners) {
            while (!inner.future.isFinished()) {
                FUZZ_CHECK(timer.elapsed() < 2000,
                           "background task %d: a future its function returned never finished",
                           b->serial);
                QCoreApplication::processEvents();
                std::this_thread::sleep_for(200us);
            }
        }
    }
    for (std::atomic<BgInfo *> &task : g_bgTasks)
        task.store(nullptr);
}

void Harness::run()
{
    static const char letters[] = "PSXGDatgmfbncorqwkK";
    // Operations added later: reached only through their own byte, so that every other byte
    // keeps mapping to the operation it did (the seeds and saved inputs keep their meaning).
    static const char laterLetters[] = "RBV";
    constexpr int opCount = sizeof letters - 1;
    for (int ops = 0; ops < MaxOps && !m_in.atEnd(); ++ops) {
        const uint8_t b = m_in.byte();
        const char *known = b ? std::strchr(letters, b) : nullptr;
        if (!known && b)
            known = std::strchr(laterLetters, b);
        const char op = known ? *known : letters[b % opCount];
        if (op == 'w') {
            trace("w");
            QCoreApplication::processEvents();
            continue;
        }
        if (op == 'P') {
            createPool();
            continue;
        }
        if (op == 'B') {
            backgroundOp();
            continue;
        }
        if (op == 'V') {
            reactionOp();
            continue;
        }
        if (op == 'c') {
            const int index = m_in.byte();
            trace("c%d", index);
            if (!m_records.empty()) {
                Record &r = m_records[index % m_records.size()];
                r.callerCanceled = true;
                r.future.cancel();
            }
            continue;
        }
        const int index = m_in.below(Slots);
        PoolInfo *p = slot(index);
        // Read the arguments whether or not the slot holds a pool: the input's meaning stays.
        const bool hasArgument = std::strchr("GamfbnrR", op) != nullptr;
        const int a1 = hasArgument ? m_in.byte() : 0;
        const int a2 = (op == 'b') ? m_in.byte() : 0;
        if (op == 'b')
            trace("b%d:%d,%d", index, a1 % 16, a2 % 32);
        else if (hasArgument)
            trace("%c%d:%d", op, index, a1 % 4);
        else
            trace("%c%d", op, index);
        if (!p)
            continue;
        switch (op) {
        case 'S':
            start(p);
            break;
        case 'X':
            stop(p, std::nullopt);
            break;
        case 'G': {
            static constexpr int graces[] = {0, 1, 2, 5};
            stop(p, std::chrono::milliseconds(graces[a1 % 4]));
            break;
        }
        case 'D':
            destroy(p);
            break;
        case 'a':
            if (takeTaskSlot()) {
                const int value = m_nextValue++;
                submit(
                    p, Kind::Sync,
                    [value, work = a1 % 4] {
                        sleepWork(work);
                        return value;
                    },
                    value);
            }
            break;
        case 't':
            if (takeTaskSlot()) {
                const int value = m_nextValue++;
                submit(
                    p, Kind::Throw, [value]() -> int { throw FuzzError(value); }, value);
            }
            break;
        case 'g':
            if (takeTaskSlot()) {
                const int value = m_nextValue++;
                submit(
                    p, Kind::Gate, [gates = p->gates, value] { return gates->create(value); },
                    value);
            }
            break;
        case 'm':
        case 'f':
            if (takeTaskSlot()) {
                static constexpr int delays[] = {0, 1, 3, 8};
                const int value = m_nextValue++;
                const bool throws = op == 'f';
                submit(p, throws ? Kind::AsyncThrow : Kind::Timer,
                       timerTask(delays[a1 % 4], value, throws), value);
            }
            break;
        case 'b':
            if (takeTaskSlot())
                submitBatch(p, a1 % 16, a2 % 32);
            break;
        case 'n':
            if (takeTaskSlot()) {
                const int value = m_nextValue++;
                const int childValue = m_nextValue++;
                const int childKind = a1 % 4; // 3: as 0
                // The front-end outlives its tasks (its destructor drains them), so the task may
                // use it; the harness keeps `p` itself until the end of the input.
                BlockingThreadedTaskPool *blocking = p->blocking.get();
                AsyncThreadedTaskPool *async = p->async.get();
                auto createTask = [blocking, async](auto &&task) {
                    return async ? async->createTask(task) : blocking->createTask(task);
                };
                submit(
                    p, Kind::Nested,
                    [p, blocking, createTask, log = m_log, value, childValue, childKind,
                     grace = p->graceStops, failedStarts = p->failedStarts] {
                        if (childKind == 2 && blocking) {
                            // A blocking call from the pool's own thread.
                            try {
                                (void)blocking->run([] { return 0; });
                                fail("run() from pool %d's own thread did not throw", p->serial);
                            } catch (const DeadlockError &) { }
                            return value;
                        }
                        if (log->tasks.fetch_add(1) >= MaxTasks)
                            return value;
                        try {
                            QFuture<int> child = childKind == 1
                                ? createTask(timerTask(1, childValue, false))
                                : createTask([childValue] { return childValue; });
                            ++p->accepted;
                            QMutexLocker locker(&log->mutex);
                            log->children.push_back(
                                {childKind == 1 ? Kind::ChildTimer : Kind::Child, p, child,
                                 childValue, 0, -1, grace, failedStarts});
                        } catch (const NotRunningError &) {
                            ++log->childNotRunning; // the pool is stopping
                        } catch (const PoolFullError &) {
                            FUZZ_CHECK(p->options.maxPending > 0,
                                       "pool %d without maxPending threw PoolFullError", p->serial);
                            ++p->rejected;
                        }
                        return value;
                    },
                    value);
            }
            break;
        case 'o':
            p->gates->openAll();
            break;
        case 'r':
            if (takeTaskSlot())
                blockingRun(p, a1 % 4);
            break;
        case 'R':
            if (takeTaskSlot())
                racingSubmitAndStop(p, a1 % 4);
            break;
        case 'q':
            readStatus(p);
            break;
        case 'k':
            if (takeTaskSlot())
                selfStop(p);
            break;
        case 'K':
            if (takeTaskSlot())
                selfDestroy(p);
            break;
        default:
            break;
        }
    }
    finish();
}

// Classifies a finished future: 0 completed, 1 failed, 2 timed out, 3 canceled; checks the
// outcome against what the record's kind and history allow.
void Harness::checkOutcome(const Record &r, int *outcome)
{
    const PoolInfo *p = r.pool;
    const int pool = p->serial;
    const char *kind = kindName(r.kind);
    FUZZ_CHECK(r.future.isFinished(), "a %s task's future (value %d) of pool %d never finished",
               kind, r.value, pool);
    const bool isChild = r.kind == Kind::Child || r.kind == Kind::ChildTimer;
    const bool mayCancel = r.callerCanceled || p->graceStops > r.graceAtSubmit
        || (isChild && p->failedStarts > r.failedStartsAtSubmit);
    const bool isAsyncKind = r.kind == Kind::Gate || r.kind == Kind::Timer
        || r.kind == Kind::AsyncThrow || r.kind == Kind::Batch || r.kind == Kind::ChildTimer
        || r.kind == Kind::BgInner;
    const bool mayTimeOut = isAsyncKind && p->options.timeout.count() > 0;
    const bool mayFail = r.kind == Kind::Throw || r.kind == Kind::AsyncThrow
        || (r.kind == Kind::Batch && r.throwAt < r.count);
    QFuture<int> future = r.future;
    try {
        future.waitForFinished();
    } catch (const TimeoutError &) {
        FUZZ_CHECK(mayTimeOut, "a %s task (value %d) of pool %d (timeout %d ms) timed out", kind,
                   r.value, pool, int(p->options.timeout.count()));
        *outcome = 2;
        return;
    } catch (const FuzzError &e) {
        FUZZ_CHECK(mayFail && e.id == r.value,
                   "a %s task (value %d) of pool %d failed with the error of task %d", kind,
                   r.value, pool, e.id);
        *outcome = 1;
        return;
    } catch (const std::exception &e) {
        fail("a %s task (value %d) of pool %d failed with an unexpected exception: %s", kind,
             r.value, pool, e.what());
    } catch (...) {
        fail("a %s task (value %d) of pool %d failed with an unknown exception", kind, r.value,
             pool);
    }
    if (future.isCanceled()) {
        FUZZ_CHECK(mayCancel, "a %s task (value %d) of pool %d was canceled, by nobody", kind,
                   r.value, pool);
        *outcome = 3;
        return;
    }
    FUZZ_CHECK(r.kind == Kind::Batch || !mayFail,
               "a %s task (value %d) of pool %d completed instead of failing", kind, r.value, pool);
    if (r.kind == Kind::Batch) {
        FUZZ_CHECK(r.throwAt >= r.count,
                   "a batch (value %d) of pool %d completed though element %d throws", r.value,
                   pool, r.throwAt);
        const QList<int> results = future.results();
        FUZZ_CHECK(results.size() == r.count, "a batch (value %d) of pool %d gave %d of %d results",
                   r.value, pool, int(results.size()), r.count);
        for (int i = 0; i < r.count; ++i) {
            FUZZ_CHECK(results[i] == r.value * 100 + i,
                       "a batch (value %d) of pool %d: result %d is %d", r.value, pool, i,
                       results[i]);
        }
    } else {
        FUZZ_CHECK(future.resultCount() == 1 && future.result() == r.value,
                   "a %s task (value %d) of pool %d completed with %d results, the first %d", kind,
                   r.value, pool, future.resultCount(),
                   future.resultCount() ? future.result() : -1);
    }
    *outcome = 0;
}

// The counters of a stopped pool against the outcomes of its futures.
void Harness::checkStopped(PoolInfo *p)
{
    PoolStatus *s = p->status();
    const qint64 counters[4] = {s->completed(), s->failed(), s->timedOut(), s->canceled()};
    const char *names[4] = {"completed", "failed", "timedOut", "canceled"};
    FUZZ_CHECK(s->pending() == 0 && s->running() == 0, "stopped pool %d: pending %d, running %d",
               p->serial, s->pending(), s->running());
    FUZZ_CHECK(!s->isActive(), "stopped pool %d is active", p->serial);
    FUZZ_CHECK(s->submitted() == p->accepted.load(), "pool %d: submitted %lld, accepted %lld",
               p->serial, static_cast<long long>(s->submitted()),
               static_cast<long long>(p->accepted.load()));
    FUZZ_CHECK(s->submitted() == counters[0] + counters[1] + counters[2] + counters[3],
               "stopped pool %d does not balance: submitted %lld, completed %lld, failed %lld, "
               "timedOut %lld, canceled %lld",
               p->serial, static_cast<long long>(s->submitted()),
               static_cast<long long>(counters[0]), static_cast<long long>(counters[1]),
               static_cast<long long>(counters[2]), static_cast<long long>(counters[3]));
    FUZZ_CHECK(s->rejected() == p->rejected.load(), "pool %d: rejected %lld, PoolFullErrors %lld",
               p->serial, static_cast<long long>(s->rejected()),
               static_cast<long long>(p->rejected.load()));

    // Futures canceled by their caller may have ended either way in the pool.
    qint64 observed[4] = {0, 0, 0, 0};
    qint64 callerCanceled = 0;
    qint64 records = 0;
    auto count = [&](const Record &r) {
        if (r.pool != p)
            return;
        ++records;
        int outcome = -1;
        checkOutcome(r, &outcome);
        if (r.callerCanceled)
            ++callerCanceled;
        else
            ++observed[outcome];
    };
    for (const Record &r : m_records)
        count(r);
    for (const Record &r : m_log->children)
        count(r);
    FUZZ_CHECK(records == p->accepted.load(), "pool %d: %lld futures for %lld accepted tasks",
               p->serial, static_cast<long long>(records),
               static_cast<long long>(p->accepted.load()));
    for (int i = 0; i < 4; ++i) {
        FUZZ_CHECK(counters[i] >= observed[i] && counters[i] <= observed[i] + callerCanceled,
                   "pool %d: %s is %lld, but %lld futures ended so (and %lld were canceled by "
                   "their caller)",
                   p->serial, names[i], static_cast<long long>(counters[i]),
                   static_cast<long long>(observed[i]), static_cast<long long>(callerCanceled));
    }
    if (p->signals) {
        for (int i = 0; i < 4; ++i) {
            FUZZ_CHECK(p->signals->counts[i].load() == counters[i],
                       "pool %d: %lld task signals for %s, which is %lld", p->serial,
                       static_cast<long long>(p->signals->counts[i].load()), names[i],
                       static_cast<long long>(counters[i]));
        }
    }
    if (p->context) {
        FUZZ_CHECK(p->context->entered.load() == p->context->exited.load(),
                   "pool %d: %d contexts entered, %d exited", p->serial, p->context->entered.load(),
                   p->context->exited.load());
    }
    checkContextsExited(p);
}

// Once a run of `p` ended (a failed start, a stop that returned or whose future finished, a
// destructor that joined): every context entered was exited, each once a run.
void Harness::checkContextsExited(PoolInfo *p)
{
    const ContextState *c = p->context.get();
    if (!c || !c->async)
        return;
    FUZZ_CHECK(c->depth.load() == 0, "pool %d: context depth %d after its run ended", p->serial,
               c->depth.load());
    FUZZ_CHECK(c->outerEntered.load() == p->starts && c->outerExited.load() == p->starts,
               "pool %d: %d starts, outer context entered %d times, exited %d times", p->serial,
               p->starts, c->outerEntered.load(), c->outerExited.load());
    FUZZ_CHECK(c->enterCalls.load() == p->starts,
               "pool %d: %d starts, inner context's enter called %d times", p->serial, p->starts,
               c->enterCalls.load());
    FUZZ_CHECK(c->entered.load() == p->runs && c->exited.load() == p->runs,
               "pool %d: %d runs, inner context entered %d times, exited %d times", p->serial,
               p->runs, c->entered.load(), c->exited.load());
}

bool poolThreadsLeft(QByteArray *names)
{
    const QDir tasks(QStringLiteral("/proc/self/task"));
    bool found = false;
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid) + QStringLiteral("/comm"));
        if (!comm.open(QIODevice::ReadOnly))
            continue; // ended meanwhile
        const QByteArray name = comm.readAll().trimmed();
        if (name.startsWith(ThreadPrefix)) {
            found = true;
            *names += name + ' ';
        }
    }
    return found;
}

void Harness::finish()
{
    trace("| end");
    bgFinish();
    // A pool destroyed from its own thread drains after its destructor: wait for that, parents
    // first (nested tasks are all submitted once their parents ended).
    for (const Record &r : m_records) {
        if (r.pool->destroyedFromOwnThread) {
            try {
                QFuture<int>(r.future).waitForFinished();
            } catch (...) { }
        }
    }
    std::vector<Record> children;
    {
        QMutexLocker locker(&m_log->mutex);
        children = m_log->children;
    }
    for (const Record &r : children) {
        if (r.pool->destroyedFromOwnThread) {
            try {
                QFuture<int>(r.future).waitForFinished();
            } catch (...) { }
        }
    }
    for (PoolInfo *p : m_slots) {
        if (!p)
            continue;
        p->gates->setAutoOpen(true);
        if (p->running)
            stop(p, std::nullopt);
    }
    for (PoolInfo *p : m_slots) {
        if (!p)
            continue;
        for (const LifecycleRecord &l : p->lifecycle) {
            QFuture<void> future = l.future;
            bool failed = false;
            try {
                future.waitForFinished();
            } catch (const FuzzError &) {
                failed = true;
                checkContextError(p, std::current_exception(), l.expectFailure, l.errorId, l.what);
            } catch (const CanceledError &) {
                failed = true;
                checkContextError(p, std::current_exception(), l.expectFailure, l.errorId, l.what);
            }
            FUZZ_CHECK(failed == l.expectFailure, "the %s future of pool %d %s", l.what, p->serial,
                       failed ? "failed" : "did not fail");
            FUZZ_CHECK(failed || !future.isCanceled(), "the %s future of pool %d was canceled",
                       l.what, p->serial);
        }
        // An async stop's future finishes as its run ends; join through a blocking wait for
        // the counters to settle: the destructor of a stopped pool only joins.
    }
    // Let the pools join their threads: a stopped pool's destructor waits for its run's end.
    std::vector<PoolInfo *> alive;
    for (PoolInfo *p : m_slots) {
        if (p)
            alive.push_back(p);
    }
    for (PoolInfo *p : alive)
        checkStopped(p);
    for (PoolInfo *p : alive)
        destroy(p);
    bgCheck();
    // Pools destroyed earlier: their futures only (their counters went with them).
    for (const Record &r : m_records) {
        int outcome;
        checkOutcome(r, &outcome);
    }
    {
        QMutexLocker locker(&m_log->mutex);
        for (const Record &r : m_log->children) {
            int outcome;
            checkOutcome(r, &outcome);
        }
    }
    // Queued status updates and started()/stopped() signals of the destroyed pools.
    QCoreApplication::sendPostedEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);

    // Qt's threads are detached: a joined thread may take a moment to vanish from /proc.
    QByteArray names;
    for (int i = 0; poolThreadsLeft(&names); ++i) {
        FUZZ_CHECK(i < 2000, "pool threads still alive 2 s after their pools were destroyed: %s",
                   names.constData());
        names.clear();
        std::this_thread::sleep_for(1ms); // polling the OS, not synchronising with the pool
    }
}

// A Qt warning is a finding too: "QBasicTimer::stop: Failed" announced a timer left to fire on a
// deleted object. Debug output is dropped. The one warning expected, a background task's failure
// that no receiver of failed() heard, is that run's outcome (bgWarning()).
void messageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtDebugMsg || type == QtInfoMsg)
        return;
    if (type == QtWarningMsg && context.category
        && std::strcmp(context.category, "tasktools.background") == 0) {
        bgWarning(message);
        return;
    }
    fail("Qt warning: %s", qPrintable(message));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    qInstallMessageHandler(messageHandler);
    static int argc = 1;
    static char name[] = "fuzz_pool";
    static char *argv[] = {name, nullptr};
    new QCoreApplication(argc, argv); // for the whole process: pools need an application
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_trace.clear();
    Reader reader(data, size);
    Harness harness(reader);
    harness.run();
    static const bool printTrace = qEnvironmentVariableIsSet("FUZZ_POOL_TRACE");
    if (printTrace)
        std::fprintf(stderr, "fuzz_pool: %s\n", g_trace.c_str());
    return 0;
}
