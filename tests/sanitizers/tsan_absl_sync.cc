// ThreadSanitizer annotations for Debian's Abseil synchronization library (ThreadSanitizer
// builds only: CITECHECK_SANITIZE=thread links this file into every executable).
//
// Debian's libabsl_synchronization is not instrumented: absl::Mutex locks with futexes and
// atomics that ThreadSanitizer cannot see, so every field guarded by an absl::Mutex would be
// reported as a data race. This file defines the public entry points of absl::Mutex, CondVar
// and Notification in the executable, which interposes them for every caller (our code, gRPC,
// Abseil itself): each definition tells ThreadSanitizer what the call does with the
// __tsan_mutex_* / __tsan_acquire / __tsan_release annotations (the ones Abseil's own
// instrumented build makes) and calls the library's definition, found with dlsym(RTLD_NEXT).
//
// Conventions, as in Abseil's mutex.cc: memory accesses between a pre_* and its post_*
// annotation are ignored (and only the outermost interposed call of a thread is annotated), so the
// absl::Condition functions that the library evaluates while it locks or unlocks are not checked; a
// wait (Await, CondVar::Wait) is an unlock followed by a lock. Reentrancy and lock-order inversions
// are checked by ThreadSanitizer from the same annotations.
//
// Thread-safety: every function may be called from any thread; the library's definitions are
// looked up once, on first use (a function-local static).
#ifndef CITECHECK_SANITIZED
#error "tsan_absl_sync.cc belongs to the ThreadSanitizer build only"
#endif

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

#define CITECHECK_STRINGIFY_INNER(x) #x
#define CITECHECK_STRINGIFY(x) CITECHECK_STRINGIFY_INNER(x)

// "_ZN4absl" + <inline namespace, length-prefixed> (+ "K" for a const member function), the
// prefix of the Itanium-mangled name of a member of absl's classes.
std::string MangledPrefix(bool const_member) {
  const std::string ns = CITECHECK_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  return std::string(const_member ? "_ZNK4absl" : "_ZN4absl") + std::to_string(ns.size()) + ns;
}

// The library's definition of the member whose mangled name is prefix + `rest`, as a function
// taking `this` first (the Itanium C++ ABI of a non-virtual member function). Aborts when the
// library does not have it: a silently unannotated lock would make every report meaningless.
template <typename Fn>
Fn Real(const char* rest, bool const_member = false) {
  const std::string name = MangledPrefix(const_member) + rest;
  void* symbol = dlsym(RTLD_NEXT, name.c_str());
  if (symbol == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s is not in the loaded Abseil (%s)\n", name.c_str(),
                 dlerror());
    std::abort();
  }
  Fn fn;
  static_assert(sizeof(fn) == sizeof(symbol));
  std::memcpy(&fn, &symbol, sizeof(fn));
  return fn;
}

// Interposed calls made by the library itself while an annotated call runs on this thread (its
// AwaitWithTimeout calls AwaitWithDeadline, a Notification locks its own Mutex) reach these
// definitions again; only the outermost one is annotated, or a wait would release `mu` twice.
thread_local int annotated_calls = 0;

// Calls `call` (the library's definition) between `before()` and `after(result)`, the
// annotations, when no annotated call runs on this thread; just `call` otherwise. `call`
// returns a value (true for the library's void functions).
template <typename Before, typename Call, typename After>
auto Annotated(Before before, Call call, After after) {
  if (annotated_calls > 0) return call();
  ++annotated_calls;
  before();
  auto result = call();
  after(result);
  --annotated_calls;
  return result;
}

// A lock (exclusive or, with __tsan_mutex_read_lock, shared) that always succeeds or, when
// `try_lock`, may fail (the call then returns false).
template <typename Call>
auto AnnotatedLock(const void* mu, unsigned flags, Call call, bool try_lock = false) {
  void* addr = const_cast<void*>(mu);
  const unsigned pre_flags = flags | (try_lock ? __tsan_mutex_try_lock : 0);
  return Annotated([&] { __tsan_mutex_pre_lock(addr, pre_flags); }, call,
                   [&](bool locked) {
                     __tsan_mutex_post_lock(
                         addr, pre_flags | (try_lock && !locked ? __tsan_mutex_try_lock_failed : 0),
                         0);
                   });
}

// The timed LockWhen* hold the lock when they return, whether the condition became true (the
// call's result) or not.
template <typename Call>
bool AnnotatedTimedLock(const void* mu, unsigned flags, Call call) {
  bool result = false;
  AnnotatedLock(mu, flags, [&] { return result = call(), true; });
  return result;
}

template <typename Call>
void AnnotatedUnlock(void* mu, unsigned flags, Call call) {
  Annotated([&] { __tsan_mutex_pre_unlock(mu, flags); }, call,
            [&](bool) { __tsan_mutex_post_unlock(mu, flags); });
}

// A wait releases `mu` and takes it again; the library runs between the two annotations.
template <typename Call>
auto AnnotatedWait(absl::Mutex* mu, Call call) {
  return Annotated(
      [&] {
        __tsan_mutex_pre_unlock(mu, 0);
        __tsan_mutex_post_unlock(mu, 0);
        __tsan_mutex_pre_lock(mu, 0);
      },
      call, [&](bool) { __tsan_mutex_post_lock(mu, 0, 0); });
}

// A wait for a Notification: when it returns notified, it acquires what Notify released.
template <typename Call>
bool AnnotatedNotificationWait(const absl::Notification* notification, Call call) {
  void* addr = const_cast<absl::Notification*>(notification);
  return Annotated([] {}, call,
                   [&](bool notified) {
                     if (notified) __tsan_acquire(addr);
                   });
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// ---- Mutex: exclusive ------------------------------------------------------------------------

void Mutex::Lock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex4LockEv");
  AnnotatedLock(this, 0, [&] { return real(this), true; });
}

void Mutex::Unlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex6UnlockEv");
  AnnotatedUnlock(this, 0, [&] { return real(this), true; });
}

bool Mutex::TryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  return AnnotatedLock(
      this, 0, [&] { return real(this); }, /*try_lock=*/true);
}

void Mutex::LockWhen(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex8LockWhenERKNS0_9ConditionE");
  AnnotatedLock(this, 0, [&] { return real(this, cond), true; });
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AnnotatedTimedLock(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return AnnotatedTimedLock(this, 0, [&] { return real(this, cond, deadline); });
}

// ---- Mutex: shared ---------------------------------------------------------------------------

void Mutex::ReaderLock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  AnnotatedLock(this, __tsan_mutex_read_lock, [&] { return real(this), true; });
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  AnnotatedUnlock(this, __tsan_mutex_read_lock, [&] { return real(this), true; });
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  return AnnotatedLock(
      this, __tsan_mutex_read_lock, [&] { return real(this); }, /*try_lock=*/true);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  AnnotatedLock(this, __tsan_mutex_read_lock, [&] { return real(this, cond), true; });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AnnotatedTimedLock(this, __tsan_mutex_read_lock,
                            [&] { return real(this, cond, timeout); });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return AnnotatedTimedLock(this, __tsan_mutex_read_lock,
                            [&] { return real(this, cond, deadline); });
}

// ---- Mutex: waiting while holding it (exclusive; Abseil asserts that) -------------------------

void Mutex::Await(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("5Mutex5AwaitERKNS0_9ConditionE");
  AnnotatedWait(this, [&] { return real(this, cond), true; });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AnnotatedWait(this, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return AnnotatedWait(this, [&] { return real(this, cond, deadline); });
}

// ---- CondVar ---------------------------------------------------------------------------------

void CondVar::Wait(Mutex* mu) {
  static const auto real = Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  AnnotatedWait(mu, [&] { return real(this, mu), true; });
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, absl::Duration)>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return AnnotatedWait(mu, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, absl::Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return AnnotatedWait(mu, [&] { return real(this, mu, deadline); });
}

// ---- Notification: Notify happens before every wait that sees it ------------------------------

void Notification::Notify() {
  static const auto real = Real<void (*)(Notification*)>("12Notification6NotifyEv");
  Annotated([&] { __tsan_release(this); }, [&] { return real(this), true; }, [](bool) {});
}

void Notification::WaitForNotification() const {
  static const auto real = Real<void (*)(const Notification*)>(
      "12Notification19WaitForNotificationEv", /*const_member=*/true);
  AnnotatedNotificationWait(this, [&] { return real(this), true; });
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  static const auto real = Real<bool (*)(const Notification*, absl::Duration)>(
      "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE", /*const_member=*/true);
  return AnnotatedNotificationWait(this, [&] { return real(this, timeout); });
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  static const auto real = Real<bool (*)(const Notification*, absl::Time)>(
      "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE", /*const_member=*/true);
  return AnnotatedNotificationWait(this, [&] { return real(this, deadline); });
}

ABSL_NAMESPACE_END
}  // namespace absl
