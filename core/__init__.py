"""Small building blocks shared by the apps, none of them an app and none importing one:
database tuning (db), queueing with a sweep as the safety net (queueing), text made
storable (storable), and the one-machine stack of `bin/run` (devstack)."""
