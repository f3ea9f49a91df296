"""Small building blocks shared by the apps: nothing here imports an app."""
