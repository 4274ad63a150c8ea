#pragma once
// Background prefetch: a worker thread keeps up to `depth` items ready, so that
// training never waits for data while the producer keeps up.
//
//   sjmt::data::prefetcher p([&s] { return s.next(); }, 4);  // prefetcher<union_batch<domains>>
//   sjmt::data::union_batch<domains> b = p.next();
//
// The producer runs on one thread, in order, so the items are the same sequence as
// calling it directly (deterministic). An exception in the producer is rethrown by next().

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "../../error.hpp"

namespace sjmt::data {

template <class T>
class prefetcher {
 public:
  /// Starts the worker. Requires: depth >= 1. The producer must outlive the prefetcher.
  prefetcher(std::function<T()> produce, std::size_t depth = 2) : m_produce(std::move(produce)), m_depth(depth) {
    SJMT_CHECK(value_error, depth >= 1, "prefetcher: depth 0; keep at least 1 item ready");
    m_worker = std::thread([this] { run(); });
  }
  prefetcher(const prefetcher&) = delete;
  prefetcher& operator=(const prefetcher&) = delete;
  ~prefetcher() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_changed.notify_all();
    m_worker.join();
  }

  /// The next item, waiting for it if it is not ready.
  T next() {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return !m_ready.empty() || m_error; });
    if (m_ready.empty()) std::rethrow_exception(m_error);
    T item = std::move(m_ready.front());
    m_ready.pop_front();
    lock.unlock();
    m_changed.notify_all();
    return item;
  }

  /// Items ready now (for monitoring whether training waits).
  std::size_t ready() const {
    std::lock_guard lock(m_mutex);
    return m_ready.size();
  }

 private:
  void run() {
    for (;;) {
      {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [this] { return m_stop || m_ready.size() < m_depth; });
        if (m_stop) return;
      }
      try {
        T item = m_produce();
        {
          std::lock_guard lock(m_mutex);
          m_ready.push_back(std::move(item));
        }
        m_changed.notify_all();
      } catch (...) {
        {
          std::lock_guard lock(m_mutex);
          m_error = std::current_exception();
        }
        m_changed.notify_all();
        return;
      }
    }
  }

  std::function<T()> m_produce;
  std::size_t m_depth;
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<T> m_ready;
  std::exception_ptr m_error;
  bool m_stop = false;
  std::thread m_worker;
};

// The items are what the producer returns: a sampler's typed batches stay typed
// (a prefetcher<data::batch> would keep the rows and drop the union).
template <class Produce>
prefetcher(Produce) -> prefetcher<std::decay_t<std::invoke_result_t<Produce&>>>;
template <class Produce>
prefetcher(Produce, std::size_t) -> prefetcher<std::decay_t<std::invoke_result_t<Produce&>>>;

}  // namespace sjmt::data
