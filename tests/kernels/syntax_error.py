def work(item)
    return item
