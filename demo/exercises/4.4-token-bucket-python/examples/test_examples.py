import unittest

from ratelimit import TokenBucket


class ExampleTest(unittest.TestCase):
    def test_burst_then_steady_rate(self):
        now = [0.0]
        bucket = TokenBucket(rate=10, capacity=3, clock=lambda: now[0])
        # всплеск из трёх запросов проходит, четвёртый — нет
        self.assertEqual([bucket.allow() for _ in range(4)], [True, True, True, False])
        self.assertAlmostEqual(bucket.wait_time(), 0.1)
        now[0] += 0.1  # через 100 мс появился один токен
        self.assertTrue(bucket.allow())
        self.assertFalse(bucket.allow())
