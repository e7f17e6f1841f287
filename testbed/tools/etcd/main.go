// Command etcd runs upstream etcd (go.etcd.io/etcd/server/v3/etcdmain) for the testbed.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
