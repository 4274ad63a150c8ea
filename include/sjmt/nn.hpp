#pragma once
// Layers, residual blocks, ResNet-CIFAR and VGG-16 trunks, heads, networks. Aggregator of nn/.

#include "nn/activation.hpp"
#include "nn/basic_block.hpp"
#include "nn/batch_norm.hpp"
#include "nn/batch_norm_relu.hpp"
#include "nn/conv2d.hpp"
#include "nn/heads.hpp"
#include "nn/init.hpp"
#include "nn/layer.hpp"
#include "nn/linear.hpp"
#include "nn/model.hpp"
#include "nn/network.hpp"
#include "nn/points.hpp"
#include "nn/resnet_cifar.hpp"
#include "nn/shortcut.hpp"
#include "nn/vgg16.hpp"
