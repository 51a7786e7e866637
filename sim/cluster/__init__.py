"""The cluster: hosts, network, disks, replica logs, brokers and the controller."""
