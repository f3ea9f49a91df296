module exercise

go 1.22
