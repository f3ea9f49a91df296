import math
import unittest

from ratelimit import KeyedLimiter, TokenBucket


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class TokenBucketTest(unittest.TestCase):
    def setUp(self) -> None:
        self.clock = FakeClock()
        self.bucket = TokenBucket(rate=2, capacity=5, clock=self.clock)

    def drain(self) -> None:
        while self.bucket.allow():
            pass

    def test_starts_full(self):
        self.assertEqual(self.bucket.tokens, 5)
        self.assertEqual([self.bucket.allow() for _ in range(6)], [True] * 5 + [False])

    def test_refills_with_time(self):
        self.drain()
        self.clock.advance(0.5)  # 2 токена в секунду
        self.assertAlmostEqual(self.bucket.tokens, 1.0)
        self.assertTrue(self.bucket.allow())
        self.assertFalse(self.bucket.allow())

    def test_refill_is_capped_at_capacity(self):
        self.bucket.allow(4)
        self.clock.advance(3600)
        self.assertEqual(self.bucket.tokens, 5)
        self.assertTrue(self.bucket.allow(5))
        self.assertFalse(self.bucket.allow())

    def test_fractional_tokens_accumulate(self):
        self.drain()
        self.clock.advance(0.25)
        self.assertAlmostEqual(self.bucket.tokens, 0.5)
        self.assertFalse(self.bucket.allow())
        self.clock.advance(0.25)
        self.assertTrue(self.bucket.allow())

    def test_allow_n_is_all_or_nothing(self):
        self.assertTrue(self.bucket.allow(3))
        self.assertFalse(self.bucket.allow(3))
        self.assertAlmostEqual(self.bucket.tokens, 2.0)  # неудачный запрос ничего не списал
        self.assertTrue(self.bucket.allow(2))

    def test_fractional_cost(self):
        self.assertTrue(self.bucket.allow(0.5))
        self.assertAlmostEqual(self.bucket.tokens, 4.5)

    def test_more_than_capacity_is_never_allowed(self):
        self.assertFalse(self.bucket.allow(6))
        self.assertEqual(self.bucket.tokens, 5)
        self.assertEqual(self.bucket.wait_time(6), math.inf)

    def test_wait_time(self):
        self.assertEqual(self.bucket.wait_time(), 0.0)
        self.drain()
        self.assertAlmostEqual(self.bucket.wait_time(), 0.5)
        self.assertAlmostEqual(self.bucket.wait_time(3), 1.5)
        self.clock.advance(0.5)
        self.assertAlmostEqual(self.bucket.wait_time(3), 1.0)
        self.assertAlmostEqual(self.bucket.tokens, 1.0)  # wait_time ничего не списывает

    def test_invalid_arguments(self):
        for rate, capacity in [(0, 5), (-1, 5), (1, 0), (1, -2)]:
            with self.assertRaises(ValueError):
                TokenBucket(rate, capacity, clock=self.clock)
        for n in [0, -1]:
            with self.assertRaises(ValueError):
                self.bucket.allow(n)
            with self.assertRaises(ValueError):
                self.bucket.wait_time(n)

    def test_clock_going_backwards_is_ignored(self):
        self.drain()
        self.clock.advance(-10)
        self.assertEqual(self.bucket.tokens, 0)
        self.assertFalse(self.bucket.allow())
        self.clock.advance(10.5)  # на 0.5 с позже последней «настоящей» отметки
        self.assertAlmostEqual(self.bucket.tokens, 1.0)

    def test_default_clock_is_monotonic(self):
        bucket = TokenBucket(rate=1000, capacity=1)
        self.assertTrue(bucket.allow())
        self.assertLessEqual(bucket.tokens, 1)


class KeyedLimiterTest(unittest.TestCase):
    def setUp(self) -> None:
        self.clock = FakeClock()

    def test_keys_have_separate_buckets(self):
        limiter = KeyedLimiter(rate=1, capacity=2, clock=self.clock)
        self.assertEqual([limiter.allow("alice") for _ in range(3)], [True, True, False])
        self.assertTrue(limiter.allow("bob"))
        self.clock.advance(1)
        self.assertTrue(limiter.allow("alice"))
        self.assertFalse(limiter.allow("alice"))
        self.assertEqual(len(limiter), 2)

    def test_least_recently_used_key_is_evicted(self):
        limiter = KeyedLimiter(rate=1, capacity=1, clock=self.clock, max_keys=2)
        self.assertTrue(limiter.allow("a"))
        self.assertTrue(limiter.allow("b"))
        self.assertFalse(limiter.allow("a"))  # a использован недавно
        self.assertTrue(limiter.allow("c"))  # вытесняет b
        self.assertEqual(len(limiter), 2)
        self.assertFalse(limiter.allow("a"))  # a не вытеснен: его ведро пустое
        self.assertTrue(limiter.allow("b"))  # b забыт и получил новое полное ведро

    def test_cost_per_request(self):
        limiter = KeyedLimiter(rate=1, capacity=10, clock=self.clock)
        self.assertTrue(limiter.allow("bulk", 10))
        self.assertFalse(limiter.allow("bulk", 1))

    def test_invalid_arguments(self):
        with self.assertRaises(ValueError):
            KeyedLimiter(rate=0, capacity=1, clock=self.clock)
        with self.assertRaises(ValueError):
            KeyedLimiter(rate=1, capacity=1, clock=self.clock, max_keys=0)


if __name__ == "__main__":
    unittest.main()
