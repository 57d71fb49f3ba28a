// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_TASKRECORD_H
#define TASKTOOLS_TASKRECORD_H

// Implementation detail of the pools' templates: not API, may change in any release.
// A submitted task becomes one heap object, a Task<F, R, Async>, holding the callable inline,
// the outer future's interface and (for asynchronous tasks) the inner future. The engine moves
// it through its queues by the intrusive links in TaskNode, so a submission costs one
// allocation beyond the future's own, and that one usually comes from a recycled record (see
// TaskNode::operator new).

#include <tasktools/tasktools_global.h>

#include <QtCore/qfuture.h>
#include <QtCore/qfutureinterface.h>
#include <QtCore/qmutex.h> // defines QT_BUILDING_UNDER_TSAN (through qtsan_impl.h)

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace TaskTools::Detail {

class Inbox;

// A spin-wait hint: lets the other hardware thread of the core run, and saves power.
inline void cpuRelax() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// ThreadSanitizer cannot see the hand-overs that Qt orders with its own locks inside
// libQt6Core, which is not instrumented. Under TSan, the library marks them on an address of the
// object handed over: the writer releases before handing it over, the reader acquires after.
inline void tsanRelease(const void *object) noexcept
{
#if defined(QT_BUILDING_UNDER_TSAN)
    __tsan_release(const_cast<void *>(object));
#else
    Q_UNUSED(object);
#endif
}

inline void tsanAcquire(const void *object) noexcept
{
#if defined(QT_BUILDING_UNDER_TSAN)
    __tsan_acquire(const_cast<void *>(object));
#else
    Q_UNUSED(object);
#endif
}

// A finished QFuture: a task releases its writes right before finishing its future, the blocking
// run() acquires them once its wait returned.
inline void tsanReleaseFuture(const QFutureInterfaceBase &future) noexcept
{
    tsanRelease(&future.resultStoreBase());
}

inline void tsanAcquireFuture(const QFutureInterfaceBase &future) noexcept
{
    tsanAcquire(&future.resultStoreBase());
}

// Drops a task's typed reference to its outer future (before the task's destructor would), under
// the future's mutex. The last typed reference to a future clears its result store: when that
// is the task's, on the pool thread, the caller has already read the results (result(), or
// takeResult(), which writes the store, both under that mutex) and dropped its future. Qt orders
// the two by its reference count inside libQt6Core, where ThreadSanitizer cannot see it; the
// mutex shows TSan the same order. An untyped copy keeps the mutex alive meanwhile, and the
// moved-from interface left in the task is inert. Nothing in other builds.
template<typename R>
void tsanDropTypedReference(QFutureInterface<R> &outer) noexcept
{
#if defined(QT_BUILDING_UNDER_TSAN)
    const QFutureInterfaceBase keep(outer);
    QMutexLocker locker(&keep.mutex());
    QFutureInterface<R> last(std::move(outer));
#else
    Q_UNUSED(outer);
#endif
}

// The mark of an object that Qt hands between threads under its own locks (see tsanRelease()).
// Declared after the members it covers: each construction of the object releases what the
// constructing thread wrote; acquire() and the destruction acquire it.
class TsanHandOver
{
public:
    TsanHandOver() noexcept { tsanRelease(this); }
    TsanHandOver(const TsanHandOver &) noexcept { tsanRelease(this); }
    TsanHandOver &operator=(const TsanHandOver &) = delete;
    ~TsanHandOver() { tsanAcquire(this); }

    void acquire() const noexcept { tsanAcquire(this); }
    void release() const noexcept { tsanRelease(this); }
};

// A functor queued to another thread with QMetaObject::invokeMethod(), through Qt's
// posted-event queue: its call and its destruction (in the receiving thread, or in either if Qt
// discards the call) see what the queuing thread wrote.
template<typename F>
class QueuedCall
{
public:
    explicit QueuedCall(F f) : m_f(std::move(f)) { }

    void operator()()
    {
        m_handOver.acquire();
        m_f();
    }

private:
    F m_f;
    TsanHandOver m_handOver;
};

// Calls `fire` once when `future` finishes, in whatever state, in the thread that finishes it (or
// at once if it has finished), or when the watch is destroyed without having fired (another
// then() on the same future replaced it: a QFuture holds one continuation). Attached with
// QFutureInterfaceBase::setContinuation() rather than then(): on Qt 6.4, a continuation attached
// while another thread finishes the future can run twice (setContinuation() runs it at once and
// then stores it, and the finishing thread's runContinuation() finds it and runs it again); Qt's
// own then() continuation crashes on its second run, this one ignores it.
template<typename Fire>
class FutureWatch
{
public:
    // Qt hands the watch between threads under its continuation mutex (m_handOver; a call
    // releases what it wrote for the next thread to hold the watch).
    explicit FutureWatch(Fire fire) : m_fire(std::move(fire)) { }
    // std::function wants a copyable callable. Like Qt's ContinuationWrapper, a copy takes
    // over (Qt only ever moves a continuation), so that exactly one watch stays armed.
    FutureWatch(const FutureWatch &other)
        : m_fire(other.m_fire),
          m_armed(std::exchange(const_cast<FutureWatch &>(other).m_armed, false))
    { }
    FutureWatch(FutureWatch &&other) noexcept
        : m_fire(std::move(other.m_fire)), m_armed(std::exchange(other.m_armed, false))
    { }
    FutureWatch &operator=(const FutureWatch &) = delete;
    FutureWatch &operator=(FutureWatch &&) = delete;
    ~FutureWatch() { operator()(); }

    void operator()(const QFutureInterfaceBase &) { operator()(); }
    void operator()()
    {
        m_handOver.acquire();
        if (std::exchange(m_armed, false))
            m_fire();
        m_handOver.release();
    }

private:
    Fire m_fire;
    bool m_armed = true;
    TsanHandOver m_handOver; // last: constructed after, destroyed before the members it covers
};

struct ContinuationAccess : QFutureInterfaceBase
{
    using Continuation = std::function<void(const QFutureInterfaceBase &)>;
    static void set(QFutureInterfaceBase future, Continuation continuation)
    {
        using Set = void (QFutureInterfaceBase::*)(Continuation);
        (future.*static_cast<Set>(&ContinuationAccess::setContinuation))(std::move(continuation));
    }
};

template<typename T, typename Fire>
void watchFuture(const QFuture<T> &future, Fire fire)
{
    ContinuationAccess::set(QFutureInterfaceBase::get(future), FutureWatch<Fire>(std::move(fire)));
}

template<typename T>
struct FutureTraits
{
    static constexpr bool isFuture = false;
    using Result = T;
};

template<typename T>
struct FutureTraits<QFuture<T>>
{
    static constexpr bool isFuture = true;
    using Result = T;
};

template<typename F>
using InvokeResult = std::invoke_result_t<std::decay_t<F> &>;

// What a task's outer future carries: T for a callable returning T or QFuture<T>.
template<typename F>
using TaskResult = typename FutureTraits<InvokeResult<F>>::Result;

// Callables that can be empty: checked at submission (std::invalid_argument).
template<typename T>
struct IsNullable : std::is_pointer<T>
{
};
template<typename Sig>
struct IsNullable<std::function<Sig>> : std::true_type
{
};

template<typename F>
void checkCallable(const F &f, const char *what)
{
    if constexpr (IsNullable<F>::value) {
        if (!f)
            throw std::invalid_argument(std::string("TaskTools: ") + what + " is empty (null)");
    }
}

// The type-erased record the engine handles. Reference counted: the engine holds one
// reference; an asynchronous task's watch on its inner future holds another.
class TASKTOOLS_EXPORT TaskNode
{
public:
    enum class Outcome : quint8 { Completed, Failed, Canceled, TimedOut, Running };

    TaskNode(const TaskNode &) = delete;
    TaskNode &operator=(const TaskNode &) = delete;
    virtual ~TaskNode();

    // Records are recycled (see RecordCache in taskrecord.cpp): they are made on the submitting
    // thread and freed on the pool thread, which defeats malloc's per-thread caches. Over-aligned
    // records (a callable capturing an over-aligned object) go to the global operators.
    static void *operator new(std::size_t size);
    static void operator delete(void *block, std::size_t size) noexcept;
    static void *operator new(std::size_t size, std::align_val_t align)
    {
        return ::operator new(size, align);
    }
    static void operator delete(void *block, std::size_t, std::align_val_t align) noexcept
    {
        ::operator delete(block, align); // not the sized one: Clang before 19 does not declare it
    }

    // Pool thread only. Invokes the callable. A synchronous task finishes its outer future and
    // returns its outcome; an asynchronous one starts watching its inner future (which posts
    // this node to `inbox` once finished) and returns Running.
    virtual Outcome run(const std::shared_ptr<Inbox> &inbox) noexcept = 0;
    // Pool thread only, asynchronous tasks: the inner future finished; pass its outcome on.
    virtual Outcome complete() noexcept;
    // Cancels the inner future of a running asynchronous task.
    virtual void cancelInner() noexcept;
    virtual bool isInnerFinished() const noexcept;
    // Pool thread only, once the engine accounted for the task: destroys the callable and what
    // it captured. A capture often owns the inner future's producer (a QPromise), whose future
    // holds our continuation, which holds this node: without this, an inner future that never
    // finishes (timed out, canceled) would keep that cycle alive forever.
    virtual void releaseCallable() noexcept { }

    bool isCanceled() const noexcept { return m_outer->isCanceled(); }
    // The exception the outer future ended with, if any (for the taskFailed() signal).
    std::exception_ptr exception() const noexcept;
    // Ends the outer future with an exception (no effect if the caller canceled it).
    void fail(std::exception_ptr error) noexcept;
    // Ends the outer future canceled.
    void cancel() noexcept;

    void retain() noexcept { m_refs.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept
    {
        // A count of 1 is ours alone: nobody else can retain() or release() it, so the last
        // reference of a synchronous task (the common case) goes without an atomic RMW. The
        // acquire pairs with the release of whoever dropped the count to 1.
        if (m_refs.load(std::memory_order_acquire) == 1
            || m_refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
            delete this;
    }

    // Engine bookkeeping, touched on the pool thread only.
    TaskNode *next = nullptr; // submit queue, buffer, or inbox
    int heapIndex = -1; // position in the deadline heap
    int runIndex = -1; // position in the engine's running set (asynchronous tasks)
    bool ended = false; // the engine accounted for this task already
    bool polled = false; // lost its continuation to someone else's then(): swept instead

protected:
    explicit TaskNode(QFutureInterfaceBase *outer) noexcept : m_outer(outer) { }
    // QFutureInterface<R>::reportFinished() runs the continuation; the base class's does not.
    virtual void reportOuterFinished() noexcept = 0;
    // Called by fail() before the exception is set: frees results already reported (a batch
    // reports some before it may fail). The untyped reportException() replaces the result store
    // with the exception store without freeing the typed results, so they would leak.
    virtual void discardOuterResults() noexcept { }

private:
    QFutureInterfaceBase *m_outer; // points into the derived object
    std::atomic<int> m_refs {1};
};

// Posts a finished asynchronous task to its engine (or drops the watch's reference when the
// engine has gone). Thread-safe; called by the inner future's continuation.
TASKTOOLS_EXPORT void postCompletion(Inbox *inbox, TaskNode *node) noexcept;

struct Empty
{
};

template<typename Fn, typename R, bool Async>
class Task final : public TaskNode
{
public:
    template<typename F>
    explicit Task(F &&f) : TaskNode(&m_outer), m_fn(std::in_place, std::forward<F>(f))
    {
        m_outer.reportStarted(); // a future that is not started would not wait
    }

    ~Task() override
    {
        // `ended`: the engine accounted for the task, which it does only once the outer future
        // finished; it saves a call into Qt per task.
        if (!ended && !m_outer.isFinished()) {
            tsanReleaseFuture(m_outer);
            m_outer.reportCanceled();
            m_outer.reportFinished();
        }
        tsanDropTypedReference(m_outer);
    }

    QFuture<R> future() { return m_outer.future(); }

protected:
    void reportOuterFinished() noexcept override { m_outer.reportFinished(); }

public:
    Outcome run(const std::shared_ptr<Inbox> &inbox) noexcept override
    {
        if constexpr (Async) {
            try {
                m_inner.emplace(std::invoke(*m_fn));
            } catch (...) {
                return failWith(std::current_exception());
            }
            retain(); // the watch's reference, given back through postCompletion()
            watchFuture(*m_inner, [this, inbox] { postCompletion(inbox.get(), this); });
            return Outcome::Running;
        } else {
            Q_UNUSED(inbox);
            try {
                if constexpr (std::is_void_v<R>)
                    std::invoke(*m_fn);
                else
                    m_outer.reportResult(std::invoke(*m_fn));
            } catch (...) {
                return failWith(std::current_exception());
            }
            return finishOuter();
        }
    }

    Outcome complete() noexcept override
    {
        if constexpr (Async) {
            Q_ASSERT(m_inner); // only a running task completes
            QFuture<R> &future = *m_inner;
            QFutureInterfaceBase inner = QFutureInterfaceBase::get(future);
            if (inner.hasException())
                return failWith(inner.exceptionStore().exception());
            if (future.isCanceled()) {
                cancel();
                return Outcome::Canceled;
            }
            if constexpr (!std::is_void_v<R>) {
                if (future.resultCount() > 0) {
                    try {
                        if constexpr (std::is_copy_constructible_v<R>)
                            m_outer.reportResult(future.result());
                        else
                            m_outer.reportResult(future.takeResult());
                    } catch (...) {
                        return failWith(std::current_exception());
                    }
                }
            }
            return finishOuter();
        } else {
            return Outcome::Completed;
        }
    }

    void cancelInner() noexcept override
    {
        if constexpr (Async) {
            if (m_inner)
                m_inner->cancel();
        }
    }

    bool isInnerFinished() const noexcept override
    {
        if constexpr (Async)
            return !m_inner || m_inner->isFinished();
        else
            return true;
    }

    void releaseCallable() noexcept override { m_fn.reset(); }

private:
    Outcome failWith(std::exception_ptr error) noexcept
    {
        fail(std::move(error));
        // Whatever the future holds: a cancel() by the caller until the exception was in made
        // fail() drop it (checking isCanceled() first would leave a window for that cancel).
        return exception() ? Outcome::Failed : Outcome::Canceled;
    }

    Outcome finishOuter() noexcept
    {
        const bool canceled = m_outer.isCanceled(); // by the caller, while it ran
        tsanReleaseFuture(m_outer);
        m_outer.reportFinished();
        return canceled ? Outcome::Canceled : Outcome::Completed;
    }

    std::optional<Fn> m_fn; // emptied by releaseCallable() once the task ended
    QFutureInterface<R> m_outer;
    // Empty until run() called the callable. Not a default-constructed QFuture: that allocates a
    // canceled QFutureInterface (its private and two QWaitConditions) in the submitting thread
    // for the pool thread to free when run() assigns the real one, and those frees take the
    // submitter's malloc arena lock while it allocates its next tasks (tasktools_bench timeouts,
    // tasktools-e2e: the pool thread slept on that lock in ~4 % of its task starts).
    [[no_unique_address]] std::conditional_t<Async, std::optional<QFuture<R>>, Empty> m_inner;
};

// Builds the record for a callable; throws std::invalid_argument for an empty one.
template<typename F>
auto makeTask(F &&f)
{
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable_v<Fn &>,
                  "TaskTools: a task is a callable taking no arguments (capture what it needs)");
    using Ret = std::invoke_result_t<Fn &>;
    using Traits = FutureTraits<Ret>;
    static_assert(!std::is_reference_v<Ret>, "TaskTools: a task must return by value");
    checkCallable(f, "the task");
    return new Task<Fn, typename Traits::Result, Traits::isFuture>(std::forward<F>(f));
}

// A finished, successful QFuture<void>.
TASKTOOLS_EXPORT QFuture<void> readyFuture();

// Wraps a context's enter or exit (returning void or QFuture<void>) as a function returning
// QFuture<void>.
template<typename F>
std::function<QFuture<void>()> contextFunction(F &&f, const char *what)
{
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable_v<Fn &>,
                  "TaskTools: a context's enter and exit take no arguments");
    using Ret = std::invoke_result_t<Fn &>;
    static_assert(std::is_void_v<Ret> || std::is_same_v<Ret, QFuture<void>>,
                  "TaskTools: a context's enter and exit return void or QFuture<void>");
    checkCallable(f, what);
    if constexpr (std::is_void_v<Ret>) {
        return [fn = Fn(std::forward<F>(f))]() mutable {
            std::invoke(fn);
            return readyFuture();
        };
    } else {
        return std::function<QFuture<void>()>(std::forward<F>(f));
    }
}

} // namespace TaskTools::Detail

#endif // TASKTOOLS_TASKRECORD_H
