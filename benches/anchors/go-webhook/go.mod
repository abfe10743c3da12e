module example.com/authz-anchor

go 1.22
